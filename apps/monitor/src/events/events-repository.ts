import {
  dbSpanAttributes,
  largeTextType,
  type Database,
  type Dialect,
  type Migration,
  withSpan,
} from '@ashapp/platform';
import {
  CompiledQuery,
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
} from 'kysely';
import { limits } from '@ashapp/contracts/monitor';

export interface MonitorTables {
  audit_events: {
    id: string;
    occurred_at: number;
    user_id: string;
    service: string;
    endpoint: string;
    action_type: string;
    request_data: string | null;
    response_summary: string | null;
    ip_address: string | null;
    user_agent: string | null;
    request_id: string | null;
    trace_id: string | null;
  };
}

/** An event as stored: masked, capped, `request_data`/`response_summary` as JSON text. */
export interface StoredEvent {
  id: string;
  at: number;
  userId: string;
  service: string;
  endpoint: string;
  actionType: string;
  requestData: string | null;
  responseSummary: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** The trace of the action recorded, when the sender traced it. */
  traceId?: string | null;
}

export interface EventFilter {
  userId?: string;
  service?: string;
  actionType?: string;
  endpoint?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  /** Case-insensitive substring of endpoint, action type, request data or response summary. */
  text?: string;
}

export interface EventStats {
  byService: Array<{ service: string; count: number }>;
  byAction: Array<{ actionType: string; count: number }>;
  /** Non-empty buckets only, oldest first; `start` is epoch ms. */
  byTime: Array<{ start: number; count: number }>;
}

export interface EventsRepository {
  /** Stores the events whose id is new, in one transaction; returns the ids stored now. */
  insertMany(events: readonly StoredEvent[]): Promise<Set<string>>;
  /** Newest first; rows strictly older than `before` in (time, id) order. */
  list(options: EventFilter & { limit: number; before?: { at: number; id: string } }): Promise<StoredEvent[]>;
  stats(options: { userId?: string; from: number; to: number; bucketMs: number }): Promise<EventStats>;
  /** Deletes up to `batchSize` of the oldest events older than `cutoff`; returns how many went. */
  deleteOlderThan(cutoff: number, batchSize: number): Promise<number>;
  count(): Promise<number>;
}

export function createMonitorMigrations(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001_create_audit_events': {
      async up(db: Kysely<unknown>) {
        const jsonText = sql.raw(largeTextType(dialect));
        await db.schema
          .createTable('audit_events')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('occurred_at', 'bigint', (c) => c.notNull())
          .addColumn('user_id', `varchar(${limits.userId})`, (c) => c.notNull())
          .addColumn('service', `varchar(${limits.service})`, (c) => c.notNull())
          .addColumn('endpoint', `varchar(${limits.endpoint})`, (c) => c.notNull())
          .addColumn('action_type', `varchar(${limits.actionType})`, (c) => c.notNull())
          .addColumn('request_data', jsonText)
          .addColumn('response_summary', jsonText)
          .addColumn('ip_address', `varchar(${limits.ipAddress})`)
          .addColumn('user_agent', `varchar(${limits.userAgent})`)
          .addColumn('request_id', `varchar(${limits.requestId})`)
          .execute();
        // Each page is one range scan, newest first, after a (time, id) cursor: the admin view and the
        // retention sweep use the time index; a user's view, a service or an action filter their own.
        const indexes: Array<[string, string[]]> = [
          ['audit_events_time_idx', ['occurred_at', 'id']],
          ['audit_events_user_time_idx', ['user_id', 'occurred_at', 'id']],
          ['audit_events_service_time_idx', ['service', 'occurred_at', 'id']],
          ['audit_events_action_time_idx', ['action_type', 'occurred_at', 'id']],
        ];
        for (const [name, columns] of indexes) {
          await db.schema.createIndex(name).on('audit_events').columns(columns).execute();
        }
      },
    },
    // Links an event to the trace of the action it records (docs/observability.md).
    '0002_add_audit_events_trace_id': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('audit_events')
          .addColumn('trace_id', `varchar(${limits.traceId})`)
          .execute();
      },
    },
  };
}

// `!` as the LIKE escape character: a backslash means different things in MySQL and standard SQL literals.
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * JSON.stringify writes a lone surrogate as a `\udXXX` escape, which PostgreSQL's JSON refuses to turn into
 * text; as a string parameter the driver would have sent U+FFFD for it. The same replacement here, so a
 * stray half of an emoji stores as before instead of failing the batch. (An escaped backslash before `u`
 * is an even run of backslashes and is left alone.)
 */
export function wellFormedJson(text: string): string {
  if (!text.includes('\\ud')) return text;
  return text.replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g, '$1\\ufffd');
}

// 12 parameters a row: 500 rows stay far below every engine's placeholder limit (SQLite 32,766).
const insertChunkRows = 500;

type Row = MonitorTables['audit_events'];

const columns: ReadonlyArray<keyof Row> = [
  'id',
  'occurred_at',
  'user_id',
  'service',
  'endpoint',
  'action_type',
  'request_data',
  'response_summary',
  'ip_address',
  'user_agent',
  'request_id',
  'trace_id',
];

/** A row read as an array in `columns` order. */
function fromArray(r: readonly unknown[]): StoredEvent {
  const traceId = r[11] as string | null;
  return {
    id: r[0] as string,
    at: Number(r[1]),
    userId: r[2] as string,
    service: r[3] as string,
    endpoint: r[4] as string,
    actionType: r[5] as string,
    requestData: r[6] as string | null,
    responseSummary: r[7] as string | null,
    ipAddress: r[8] as string | null,
    userAgent: r[9] as string | null,
    requestId: r[10] as string | null,
    ...(traceId ? { traceId } : {}),
  };
}

export function createEventsRepository(database: Database<MonitorTables>): EventsRepository {
  const { db, dialect } = database;
  const like = sql.raw(dialect === 'postgres' ? 'ilike' : 'like');

  function applyFilter(
    eb: ExpressionBuilder<MonitorTables, 'audit_events'>,
    f: EventFilter,
  ): Expression<SqlBool> {
    const conditions: Array<Expression<SqlBool>> = [];
    if (f.userId !== undefined) conditions.push(eb('user_id', '=', f.userId));
    if (f.service !== undefined) conditions.push(eb('service', '=', f.service));
    if (f.actionType !== undefined) conditions.push(eb('action_type', '=', f.actionType));
    if (f.endpoint !== undefined) conditions.push(eb('endpoint', '=', f.endpoint));
    if (f.from !== undefined) conditions.push(eb('occurred_at', '>=', f.from));
    if (f.to !== undefined) conditions.push(eb('occurred_at', '<', f.to));
    if (f.text !== undefined) {
      const pattern = `%${escapeLike(f.text)}%`;
      conditions.push(
        eb.or(
          (['endpoint', 'action_type', 'request_data', 'response_summary'] as const).map(
            (column) => sql<SqlBool>`${eb.ref(column)} ${like} ${pattern} escape '!'`,
          ),
        ),
      );
    }
    return eb.and(conditions);
  }

  // Batch ingest is the hot path: building a 500-row INSERT through the query builder costs more than
  // running it, so the statement text is made once per row count and only the values change.
  const insertTexts = new Map<number, string>();
  function insertText(rowCount: number): string {
    let text = insertTexts.get(rowCount);
    if (text) return text;
    let n = 0;
    const placeholder = () => (dialect === 'postgres' ? `$${(n += 1)}` : '?');
    const tuples = Array.from({ length: rowCount }, () => `(${columns.map(placeholder).join(', ')})`);
    const head = `insert ${dialect === 'mysql' ? 'ignore ' : ''}into audit_events (${columns.join(', ')}) values `;
    const tail = dialect === 'mysql' ? '' : ' on conflict (id) do nothing returning id';
    text = head + tuples.join(', ') + tail;
    insertTexts.set(rowCount, text);
    return text;
  }

  const existingTexts = new Map<number, string>();
  function existingText(rowCount: number): string {
    let text = existingTexts.get(rowCount);
    if (!text) {
      text = `select id from audit_events where id in (${Array.from({ length: rowCount }, () => '?').join(', ')})`;
      existingTexts.set(rowCount, text);
    }
    return text;
  }

  function compileInsert(rows: readonly StoredEvent[]): CompiledQuery {
    // The parameters in `columns` order, straight from the events (no row objects in between).
    const values: unknown[] = new Array(rows.length * columns.length);
    let n = 0;
    for (const e of rows) {
      values[n++] = e.id;
      values[n++] = e.at;
      values[n++] = e.userId;
      values[n++] = e.service;
      values[n++] = e.endpoint;
      values[n++] = e.actionType;
      values[n++] = e.requestData;
      values[n++] = e.responseSummary;
      values[n++] = e.ipAddress;
      values[n++] = e.userAgent;
      values[n++] = e.requestId;
      values[n++] = e.traceId ?? null;
    }
    return CompiledQuery.raw(insertText(rows.length), values);
  }

  // PostgreSQL: the rows as one JSON parameter, unpacked by the server. A 500-row VALUES list is 6,000
  // parameters to serialise one by one and a 6,000-placeholder statement to parse and plan on every call;
  // measured on this machine (1,000-row transactions, five indexes): 31k rows/s with VALUES, 55k with
  // json_to_recordset, and 1.6× less client CPU (docs/benchmark-notes.md, Batch ingest).
  const recordsetText =
    `insert into audit_events (${columns.join(', ')}) select ${columns.join(', ')} ` +
    `from json_to_recordset($1::json) as r(${columns.map((c) => `${c} ${c === 'occurred_at' ? 'bigint' : 'text'}`).join(', ')}) ` +
    'on conflict (id) do nothing returning id';

  function compileRecordset(rows: readonly StoredEvent[]): CompiledQuery {
    const records = rows.map((e) => ({
      id: e.id,
      occurred_at: e.at,
      user_id: e.userId,
      service: e.service,
      endpoint: e.endpoint,
      action_type: e.actionType,
      request_data: e.requestData,
      response_summary: e.responseSummary,
      ip_address: e.ipAddress,
      user_agent: e.userAgent,
      request_id: e.requestId,
      trace_id: e.traceId ?? null,
    }));
    return CompiledQuery.raw(recordsetText, [wellFormedJson(JSON.stringify(records))]);
  }

  async function insertChunk(trx: Kysely<MonitorTables>, rows: readonly StoredEvent[]): Promise<string[]> {
    if (dialect === 'postgres') {
      const inserted = await trx.executeQuery<{ id: string }>(compileRecordset(rows));
      return inserted.rows.map((r) => r.id);
    }
    if (dialect === 'sqlite') {
      const inserted = await trx.executeQuery<{ id: string }>(compileInsert(rows));
      return inserted.rows.map((r) => r.id);
    }
    // MySQL has no RETURNING: look the ids up first. INSERT IGNORE still keeps a concurrent duplicate out of
    // the table; at worst such a race announces one event twice on the live feed.
    const existing = await trx.executeQuery<{ id: string }>(
      CompiledQuery.raw(
        existingText(rows.length),
        rows.map((r) => r.id),
      ),
    );
    const seen = new Set(existing.rows.map((r) => r.id));
    const fresh = rows.filter((r) => !seen.has(r.id));
    if (fresh.length > 0) await trx.executeQuery(compileInsert(fresh));
    return fresh.map((r) => r.id);
  }

  // Pages are the hot read path: each shape of the page query (which filters, a cursor or not) is a
  // statement compiled once (ADR 0029), not built by the query builder per request; rows come as arrays.
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const pageStatements = new Map<string, (params: readonly unknown[]) => Promise<unknown[][]>>();
  function pageStatement(f: EventFilter, cursor: boolean) {
    const has = {
      user: f.userId !== undefined,
      service: f.service !== undefined,
      action: f.actionType !== undefined,
      endpoint: f.endpoint !== undefined,
      from: f.from !== undefined,
      to: f.to !== undefined,
      text: f.text !== undefined,
    };
    const key = `${Object.values(has).join('/')}/${cursor}`;
    let read = pageStatements.get(key);
    if (read) return read;
    // The index whose leading equality the filter has (the planner is told so on MariaDB).
    const index = has.user
      ? 'audit_events_user_time_idx'
      : has.service
        ? 'audit_events_service_time_idx'
        : has.action
          ? 'audit_events_action_time_idx'
          : 'audit_events_time_idx';
    const from = dialect === 'mysql' ? `${q('audit_events')} force index (${q(index)})` : q('audit_events');
    const where: string[] = [];
    if (has.user) where.push(`${q('user_id')} = ?`);
    if (has.service) where.push(`${q('service')} = ?`);
    if (has.action) where.push(`${q('action_type')} = ?`);
    if (has.endpoint) where.push(`${q('endpoint')} = ?`);
    if (has.from) where.push(`${q('occurred_at')} >= ?`);
    if (has.to) where.push(`${q('occurred_at')} < ?`);
    if (has.text) {
      const like = dialect === 'postgres' ? 'ilike' : 'like';
      const searched = ['endpoint', 'action_type', 'request_data', 'response_summary'];
      where.push(`(${searched.map((c) => `${q(c)} ${like} ? escape '!'`).join(' or ')})`);
    }
    // `occurred_at <= at` bounds the index range on every engine; the OR only settles equal times.
    if (cursor) where.push(`${q('occurred_at')} <= ?`, `(${q('occurred_at')} < ? or ${q('id')} < ?)`);
    read = database.prepareRead(
      `select ${columns.map(q).join(', ')} from ${from}` +
        (where.length > 0 ? ` where ${where.join(' and ')}` : '') +
        ` order by ${q('occurred_at')} desc, ${q('id')} desc limit ?`,
    );
    pageStatements.set(key, read);
    return read;
  }

  return {
    async insertMany(events) {
      const stored = new Set<string>();
      if (events.length === 0) return stored;
      await withSpan('db.transaction audit_events.insert', dbSpanAttributes(dialect, events.length), () =>
        db.transaction().execute(async (trx) => {
          for (let i = 0; i < events.length; i += insertChunkRows) {
            for (const id of await insertChunk(trx, events.slice(i, i + insertChunkRows))) stored.add(id);
          }
        }),
      );
      return stored;
    },

    async list({ limit, before, ...filter }) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit ${limit}`);
      const read = pageStatement(filter, before !== undefined);
      const params: unknown[] = [];
      if (filter.userId !== undefined) params.push(filter.userId);
      if (filter.service !== undefined) params.push(filter.service);
      if (filter.actionType !== undefined) params.push(filter.actionType);
      if (filter.endpoint !== undefined) params.push(filter.endpoint);
      if (filter.from !== undefined) params.push(filter.from);
      if (filter.to !== undefined) params.push(filter.to);
      if (filter.text !== undefined) {
        const pattern = `%${escapeLike(filter.text)}%`;
        params.push(pattern, pattern, pattern, pattern);
      }
      if (before) params.push(before.at, before.at, before.id);
      params.push(limit);
      return (await read(params)).map(fromArray);
    },

    async stats({ userId, from, to, bucketMs }) {
      const scope = (eb: ExpressionBuilder<MonitorTables, 'audit_events'>) =>
        applyFilter(eb, { from, to, ...(userId !== undefined ? { userId } : {}) });
      // A literal, not a parameter: PostgreSQL only matches the GROUP BY expression to the selected one
      // when they are textually the same.
      const bucket = sql<number>`(occurred_at - (occurred_at % ${sql.lit(bucketMs)}))`;
      const [byService, byAction, byTime] = await Promise.all([
        db
          .selectFrom('audit_events')
          .select(['service', (eb) => eb.fn.countAll<number>().as('n')])
          .where(scope)
          .groupBy('service')
          .orderBy('n', 'desc')
          .orderBy('service')
          .execute(),
        db
          .selectFrom('audit_events')
          .select(['action_type', (eb) => eb.fn.countAll<number>().as('n')])
          .where(scope)
          .groupBy('action_type')
          .orderBy('n', 'desc')
          .orderBy('action_type')
          .execute(),
        db
          .selectFrom('audit_events')
          .select([bucket.as('bucket_start'), (eb) => eb.fn.countAll<number>().as('n')])
          .where(scope)
          .groupBy(bucket)
          .orderBy('bucket_start')
          .execute(),
      ]);
      return {
        byService: byService.map((r) => ({ service: r.service, count: Number(r.n) })),
        byAction: byAction.map((r) => ({ actionType: r.action_type, count: Number(r.n) })),
        byTime: byTime.map((r) => ({ start: Number(r.bucket_start), count: Number(r.n) })),
      };
    },

    async deleteOlderThan(cutoff, batchSize) {
      // Select then delete by id: neither PostgreSQL nor SQLite (as built) has DELETE … LIMIT, and MySQL
      // refuses LIMIT inside an IN subquery.
      const doomed = await db
        .selectFrom('audit_events')
        .select('id')
        .where('occurred_at', '<', cutoff)
        .orderBy('occurred_at')
        .limit(batchSize)
        .execute();
      if (doomed.length === 0) return 0;
      const result = await db
        .deleteFrom('audit_events')
        .where(
          'id',
          'in',
          doomed.map((r) => r.id),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async count() {
      const row = await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
