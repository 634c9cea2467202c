import { registerQueryGauge, type Database, type MetricsRegistry } from '@ashapp/platform';

import type { SessionTables } from './database-session-store.ts';

/**
 * `ashapp_gateway_sessions`: sessions not yet expired, counted in the session table at scrape time (the
 * database store only: counting Redis keys would mean a SCAN of the keyspace on every scrape).
 */
export function registerSessionCountMetric(
  registry: MetricsRegistry,
  database: Database<SessionTables>,
): void {
  registerQueryGauge(registry, {
    name: 'ashapp_gateway_sessions',
    help: 'Signed-in sessions that have not expired (database session store).',
    read: async () => {
      const row = await database.db
        .selectFrom('gateway_sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('expires_at', '>', Date.now())
        .executeTakeFirstOrThrow();
      return [{ value: Number(row.n) }];
    },
  });
}
