import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from './database.ts';

interface OutboxTable {
  audit_outbox: { id: string; created_at: number };
}

/**
 * The audit outbox's backlog, read from its table at scrape time: events waiting for delivery and the age
 * of the oldest. A growing backlog or an old event means the monitor is not taking events (see
 * docs/runbooks.md#auditoutboxbacklog).
 */
export function registerAuditOutboxMetrics<DB>(registry: Registry, database: Database<DB>): void {
  const db = database.db as unknown as Kysely<OutboxTable>;
  async function read(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const row = await db
      .selectFrom('audit_outbox')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
      .executeTakeFirstOrThrow();
    const oldest = row.oldest === null ? undefined : Number(row.oldest);
    return {
      pending: Number(row.n),
      oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    };
  }
  // One read per scrape serves both gauges.
  let reading: Promise<{ pending: number; oldestAgeSeconds: number }> | undefined;
  const readOnce = () => {
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  new Gauge({
    name: 'ashapp_audit_outbox_pending_events',
    help: 'Audit events stored in the outbox and not yet delivered to the monitor.',
    registers: [registry],
    async collect() {
      this.set((await readOnce()).pending);
    },
  });
  new Gauge({
    name: 'ashapp_audit_outbox_oldest_event_age_seconds',
    help: 'Age of the oldest undelivered audit event in seconds (0 when the outbox is empty).',
    registers: [registry],
    async collect() {
      this.set((await readOnce()).oldestAgeSeconds);
    },
  });
}

/**
 * A gauge read by a query at scrape time (rows by state, live sessions): the value is the database's, so it
 * is right after a restart and across replicas.
 *
 * @example
 * registerQueryGauge(registry, { name: 'ashapp_gateway_sessions', help: '…', read: async () => [{ value: 3 }] });
 */
export function registerQueryGauge(
  registry: Registry,
  options: {
    name: string;
    help: string;
    labelNames?: string[];
    read: () => Promise<Array<{ labels?: Record<string, string>; value: number }>>;
  },
): void {
  new Gauge({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { labels, value } of await options.read()) {
        if (labels) this.set(labels, value);
        else this.set(value);
      }
    },
  });
}
