import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type Kysely, type Migration } from 'kysely';
import { createInsertText, largeTextType, type Database, type Dialect } from './database.ts';
import { createId } from './ids.ts';
import { serviceIdentity } from './identity.ts';
import type { Logger } from './logger.ts';
import { maskSecrets } from './masking.ts';
import type { ServiceClient } from './http-client.ts';
import { currentTraceId, currentTraceparent, withSpan, withTraceparent } from './tracing.ts';

/** One audit event as the monitor stores it (field names as the original's `/monitor/log`). */
export interface AuditEvent {
  id: string;
  timestamp: string;
  user_id: string;
  service: string;
  endpoint: string;
  action_type: string;
  request_data?: unknown;
  response_summary?: unknown;
  ip_address?: string;
  user_agent?: string;
  request_id?: string;
  /** The trace of the action recorded (W3C trace id, 32 hex digits), when tracing was on. */
  trace_id?: string;
}

export type AuditEventInput = Omit<AuditEvent, 'id' | 'timestamp' | 'service'> & {
  id?: string;
  timestamp?: string;
};

interface OutboxTable {
  audit_outbox: {
    id: string;
    created_at: number;
    payload: string;
    attempts: number;
    /** W3C traceparent of the action, so its delivery continues that trace. */
    traceparent: string | null;
  };
}

/** The outbox table; run with `runMigrations(db, 'audit_outbox', createAuditOutboxMigrations(dialect))`. */
export function createAuditOutboxMigrations(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001_create_audit_outbox': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('audit_outbox')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('payload', sql.raw(largeTextType(dialect)), (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createIndex('audit_outbox_created_idx')
          .on('audit_outbox')
          .columns(['created_at', 'id'])
          .execute();
      },
    },
    '0002_add_audit_outbox_traceparent': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('audit_outbox').addColumn('traceparent', 'varchar(64)').execute();
      },
    },
  };
}

export interface AuditOutbox {
  /**
   * Stores an event (secrets masked) in the service's own database. Pass the transaction of the work it
   * describes so both commit or neither does. Returns the event id.
   */
  record<DB>(event: AuditEventInput, executor?: Kysely<DB>): Promise<string>;
  /** `record` for several events in one statement (a group commit's batch); returns their ids in order. */
  recordMany<DB>(events: readonly AuditEventInput[], executor?: Kysely<DB>): Promise<string[]>;
  /** Starts the background shipper. */
  start(): void;
  /** Stops the shipper after its current batch. */
  stop(): Promise<void>;
  /** Ships until the outbox is empty or a delivery fails; returns how many events were delivered. */
  flush(): Promise<number>;
  /** Events waiting for delivery. */
  pending(): Promise<number>;
}

export interface AuditOutboxOptions<DB> {
  database: Database<DB>;
  service: string;
  monitor: ServiceClient;
  log: Logger;
  batchSize?: number;
  intervalMs?: number;
  maxBackoffMs?: number;
  /** Times the monitor may refuse one event as invalid (4xx) before it is logged and dropped. */
  maxRejections?: number;
  /** Called with each event once it is stored (metrics derived from audit events). Must not throw. */
  onRecord?: (event: AuditEvent) => void;
}

/**
 * The durable outbox every service uses for audit events: `record` writes in the same step as the work, a
 * background shipper delivers batches to the monitor (which stores each id once), and only delivered
 * events are removed. With the monitor down, events wait; when it returns, each arrives exactly once.
 */
export function createAuditOutbox<DB>(options: AuditOutboxOptions<DB>): AuditOutbox {
  const db = options.database.db as unknown as Kysely<OutboxTable>;
  const batchSize = options.batchSize ?? 500;
  const intervalMs = options.intervalMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const maxRejections = options.maxRejections ?? 5;
  const log = options.log.child({ component: 'audit-outbox' });
  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  let failures = 0;

  async function send(events: AuditEvent[]): Promise<number> {
    const res = await options.monitor.request<{ stored: number }>({
      method: 'POST',
      path: '/monitor/events/batch',
      body: { events },
      identity: serviceIdentity(options.service, randomUUID()),
      // Safe to retry: the monitor stores each event id once.
      idempotent: true,
    });
    return res.status;
  }

  // A 4xx other than 408/429 will not change on retry: the monitor refuses these events as they are.
  const isPermanentRejection = (status: number) =>
    status >= 400 && status < 500 && status !== 408 && status !== 429;

  async function shipBatch(): Promise<number> {
    const rows = await db
      .selectFrom('audit_outbox')
      .select(['id', 'payload', 'attempts', 'traceparent'])
      .orderBy('created_at')
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return 0;
    // A batch is delivered as part of the trace of its oldest event (usually the only one): the monitor's
    // ingest then shows in the trace of the action it records.
    const status = await withTraceparent(rows[0]?.traceparent ?? undefined, () =>
      withSpan('audit.deliver', { 'ashapp.audit.events': rows.length }, () =>
        send(rows.map((r) => JSON.parse(r.payload) as AuditEvent)),
      ),
    );
    if (status >= 200 && status < 300) {
      await db
        .deleteFrom('audit_outbox')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.length;
    }
    if (!isPermanentRejection(status)) throw new Error(`monitor answered ${status}`);
    // One bad event must not block every event behind it: deliver this batch one by one, and set aside
    // (with an error log naming it) an event the monitor keeps refusing.
    let delivered = 0;
    for (const row of rows) {
      const single = await send([JSON.parse(row.payload) as AuditEvent]);
      if (single >= 200 && single < 300) {
        await db.deleteFrom('audit_outbox').where('id', '=', row.id).execute();
        delivered += 1;
      } else if (!isPermanentRejection(single)) {
        throw new Error(`monitor answered ${single}`);
      } else if (row.attempts + 1 >= maxRejections) {
        log.error(
          { eventId: row.id, status: single },
          'monitor refused an audit event repeatedly; dropping it',
        );
        await db.deleteFrom('audit_outbox').where('id', '=', row.id).execute();
      } else {
        await db
          .updateTable('audit_outbox')
          .set({ attempts: row.attempts + 1 })
          .where('id', '=', row.id)
          .execute();
        throw new Error(`monitor refused event ${row.id} (${single})`);
      }
    }
    return delivered;
  }

  const outboxColumns = ['id', 'created_at', 'payload', 'attempts', 'traceparent'] as const;
  const insertText = createInsertText(options.database.dialect, 'audit_outbox', outboxColumns);

  async function recordMany<E>(events: readonly AuditEventInput[], executor?: Kysely<E>): Promise<string[]> {
    if (events.length === 0) return [];
    const now = Date.now();
    const traceparent = currentTraceparent() ?? null;
    const stored = events.map((event) => {
      const id = event.id ?? createId();
      const traceId = event.trace_id ?? currentTraceId();
      return maskSecrets<AuditEvent>({
        ...event,
        id,
        timestamp: event.timestamp ?? new Date(now).toISOString(),
        service: options.service,
        ...(traceId ? { trace_id: traceId } : {}),
      });
    });
    // Built once per row count and run as is: the query builder cost more than the insert on hot paths.
    const values = stored.flatMap((e) => [e.id, now, JSON.stringify(e), 0, traceparent]);
    await (executor ?? options.database.db).executeQuery(
      CompiledQuery.raw(insertText(stored.length), values),
    );
    for (const e of stored) options.onRecord?.(e);
    // Deliver soon, unless the shipper is backing off after failures.
    if (failures === 0) wake?.();
    return stored.map((e) => e.id);
  }

  let running: Promise<number> = Promise.resolve(0);

  /** One flush at a time: concurrent callers wait for the one in progress, then run their own. */
  function flush(): Promise<number> {
    const next = running
      .catch(() => 0)
      .then(async () => {
        let delivered = 0;
        for (;;) {
          const n = await shipBatch();
          delivered += n;
          if (n < batchSize) return delivered;
        }
      });
    running = next;
    return next;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function run() {
    while (!stopping) {
      try {
        await flush();
        if (failures > 0) log.info({ after: failures }, 'monitor reachable again; outbox drained');
        failures = 0;
        await sleep(intervalMs);
      } catch (err) {
        failures += 1;
        const backoff = Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failures, 10));
        if (failures === 1 || failures % 10 === 0) {
          log.warn(
            { err: (err as Error).message, failures, retryInMs: backoff },
            'audit delivery failed; will retry',
          );
        }
        await sleep(backoff);
      }
    }
  }

  return {
    async record(event, executor) {
      const [id] = await recordMany([event], executor);
      return id as string;
    },
    recordMany,
    start() {
      if (loop) return;
      stopping = false;
      loop = run();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      loop = undefined;
    },
    flush,
    async pending() {
      const row = await db
        .selectFrom('audit_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
