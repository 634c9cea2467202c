import { registerQueryGauge, type MetricsRegistry } from '@ashapp/platform';
import type { SessionStore } from './session-store.ts';

/**
 * `ashapp_gateway_sessions`: sessions past neither expiry, counted by the store at scrape time (an indexed
 * count in the database; a sorted set by expiry in Redis, see redis-session-store.ts).
 */
export function registerSessionCountMetric(
  registry: MetricsRegistry,
  store: Pick<SessionStore, 'countLive'>,
  now: () => number = Date.now,
): void {
  registerQueryGauge(registry, {
    name: 'ashapp_gateway_sessions',
    help: 'Signed-in sessions that have not expired (idle or absolute).',
    read: async () => [{ value: await store.countLive(now()) }],
  });
}
