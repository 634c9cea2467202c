import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Migration,
  type MigrationProvider,
  type SqliteDatabase,
} from 'kysely';
import type { Pool as MysqlPool } from 'mysql2';
import type pg from 'pg';
import { UnavailableError } from './errors.ts';
import { commonJsExports } from './module-interop.ts';

export type { Migration } from 'kysely';

export type Dialect = 'sqlite' | 'mysql' | 'postgres';

/** A service's own database: one Kysely query path whatever the engine behind it. */
export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** Resolves when the database answers a trivial query; throws `UnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * A read-only statement for a hot path, compiled once: `text` uses `?` placeholders (numbered for
   * PostgreSQL here) and the engine's own quoting; the function returns the rows as arrays of column values
   * in select order. SQLite prepares it once on a second, read-only connection (WAL: it reads what has been
   * committed, never a write transaction in progress, and does not wait for one); MariaDB runs it as a
   * server-side prepared statement (`execute`), PostgreSQL as a named one, each prepared once per pooled
   * connection. See ADR 0029.
   */
  prepareRead(text: string): (params: readonly unknown[]) => Promise<unknown[][]>;
}

/** Numbers a statement's `?` placeholders for PostgreSQL (`$1`, `$2` …); texts hold no `?` of their own. */
function numberPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${(n += 1)}`);
}

/** Which engine a `DATABASE_URL` names: `mysql://`/`mariadb://`, `postgres://`/`postgresql://`, else SQLite. */
export function readDialect(url: string): Dialect {
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql';
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  return 'sqlite';
}

function readSqlitePath(url: string): string {
  const file = url.replace(/^(file|sqlite):(\/\/)?/i, '');
  return file === ':memory:' ? file : path.resolve(file);
}

/**
 * Each SQLite connection's page cache: 2,000 KiB (`cache_size` in KiB when negative), SQLite's own default.
 * better-sqlite3 builds SQLite with 16,000 KiB, which a connection fills as its tables grow: the monitor's
 * memory outside the V8 heap grew ≈ 2 MB a minute for ten minutes of mixed load, towards 32 MB for its two
 * connections. Pages not cached are read from the OS's file cache; deep pages and batch ingest cost the same
 * CPU with either size (ADR 0032).
 */
const sqliteCacheSize = -2000;

/**
 * Opens the database a URL names. SQLite files are created with their folder, in WAL mode; MySQL/MariaDB
 * and PostgreSQL get a small connection pool. Nothing is queried until first use.
 *
 * @example
 * const database = createDatabase<HistoryTables>({ url: 'file:./data/history.sqlite' });
 */
export function createDatabase<DB>(options: { url: string; poolSize?: number }): Database<DB> {
  const dialect = readDialect(options.url);
  const poolSize = options.poolSize ?? 10;
  let db: Kysely<DB>;
  let prepareRead: Database<DB>['prepareRead'];
  let closeReads = async () => {};
  if (dialect === 'sqlite') {
    const file = readSqlitePath(options.url);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const handle = new SQLite(file);
    handle.pragma('journal_mode = WAL');
    // NORMAL is durable against process crashes in WAL mode; only an OS crash can lose the last commits.
    handle.pragma('synchronous = NORMAL');
    handle.pragma('busy_timeout = 5000');
    handle.pragma('foreign_keys = ON');
    handle.pragma(`cache_size = ${sqliteCacheSize}`);
    db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
    // Opened at the first prepared read (after the migrations): its own page cache, its own snapshot.
    // An in-memory database exists only on its one connection, so there the reads share it.
    let reader: SQLite.Database | undefined;
    const openReader = (): SQLite.Database => {
      if (reader) return reader;
      if (file === ':memory:') return (reader = handle);
      reader = new SQLite(file, { fileMustExist: true });
      reader.pragma('busy_timeout = 5000');
      reader.pragma('query_only = ON');
      reader.pragma(`cache_size = ${sqliteCacheSize}`);
      return reader;
    };
    prepareRead = (text) => {
      let statement: SQLite.Statement | undefined;
      return async (params) => {
        statement ??= openReader().prepare(text).raw(true);
        return statement.all(...params) as unknown[][];
      };
    };
    closeReads = async () => {
      if (reader && reader !== handle) reader.close();
    };
  } else if (dialect === 'mysql') {
    const url = options.url.replace(/^mariadb:/i, 'mysql:');
    // The drivers load on first use: a service on SQLite never evaluates them (7 MB less RSS idle, built history).
    let created: Promise<MysqlPool> | undefined;
    const pool = (): Promise<MysqlPool> =>
      (created ??= import('mysql2').then(commonJsExports).then(({ createPool }) =>
        createPool({
          uri: url,
          connectionLimit: poolSize,
          supportBigNumbers: true,
          timezone: 'Z',
          charset: 'utf8mb4',
        }),
      ));
    db = new Kysely<DB>({ dialect: new MysqlDialect({ pool }) });
    prepareRead = (text) => async (params) => {
      const mysql = await pool();
      return new Promise<unknown[][]>((resolve, reject) => {
        mysql.execute({ sql: text, values: params as unknown[], rowsAsArray: true }, (err, rows) =>
          err ? reject(err) : resolve(rows as unknown as unknown[][]),
        );
      });
    };
  } else {
    let created: Promise<pg.Pool> | undefined;
    const pool = (): Promise<pg.Pool> => (created ??= openPool());
    const openPool = async (): Promise<pg.Pool> => {
      const { default: pgModule } = await import('pg');
      const { Pool, types } = pgModule;
      const created = new Pool({
        connectionString: options.url,
        max: poolSize,
        // BIGINT (timestamps in ms, counts) as numbers: every value we store fits in 2^53.
        types: {
          getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
            oid === 20 || oid === 1700
              ? (value: string) => Number(value)
              : types.getTypeParser(oid, format ?? 'text')) as typeof types.getTypeParser,
        },
      });
      // An idle connection the server ends (a restart, a failover, an administrator's terminate) is reported
      // as a pool 'error' event, which without a listener ends the process. The pool has already dropped
      // that connection and the next query opens a new one; a query that fails says so to its caller, and
      // /ready's ping reports a database that stays down.
      created.on('error', () => {});
      return created;
    };
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    let statements = 0;
    prepareRead = (text) => {
      // A name makes node-postgres prepare the statement once per connection and reuse its plan.
      const query = { name: `ashapp_read_${(statements += 1)}`, text: numberPlaceholders(text) };
      return async (params) => {
        const result = await (
          await pool()
        ).query<unknown[]>({
          ...query,
          values: params as unknown[],
          rowMode: 'array',
        });
        return result.rows;
      };
    };
  }
  return {
    db,
    dialect,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw new UnavailableError('database unavailable', { cause: (err as Error).message });
      }
    },
    close: async () => {
      await closeReads();
      await db.destroy();
    },
    prepareRead,
  };
}

/**
 * better-sqlite3 compiles a statement on every `prepare`, and Kysely prepares every query it runs; keeping
 * the most recent statements compiled saves that work on hot paths. Bounded, least recently used first out.
 * (A cached statement must not be iterated twice at once: nothing here uses Kysely streaming on SQLite.)
 */
function withStatementCache(handle: SQLite.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => handle.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = handle.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/**
 * Runs the pending migrations of one owner (a service, or a platform component such as the audit outbox),
 * each owner with its own bookkeeping table so their histories never interleave.
 */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  owner: string,
  migrations: Readonly<Record<string, Migration>>,
): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider,
    migrationTableName: `${owner}_migration`,
    migrationLockTableName: `${owner}_migration_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown');
    throw new Error(`migration ${failed?.migrationName ?? ''} of ${owner} failed: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * The text of a multi-row INSERT of `columns` into `table` for a given row count, built once per count and
 * kept: on hot paths building the statement through the query builder costs more than running it. Run it
 * with `CompiledQuery.raw(text, values)`, the values row after row in column order.
 */
export function createInsertText(
  dialect: Dialect,
  table: string,
  columns: readonly string[],
): (rowCount: number) => string {
  const texts = new Map<number, string>();
  const quote = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  return (rowCount) => {
    let text = texts.get(rowCount);
    if (text) return text;
    let n = 0;
    const placeholder = () => (dialect === 'postgres' ? `$${(n += 1)}` : '?');
    text =
      head + Array.from({ length: rowCount }, () => `(${columns.map(placeholder).join(', ')})`).join(', ');
    // Row counts above a few hundred are rare one-offs: keep only the common ones.
    if (rowCount <= 512) texts.set(rowCount, text);
    return text;
  };
}

/**
 * How many group-commit batches a service runs at once on an engine: one on SQLite (a single connection),
 * several on a pooled server engine, where each commit waits on the network and the server's log flush.
 */
export function groupCommitConcurrency(dialect: Dialect): number {
  return dialect === 'sqlite' ? 1 : 4;
}

/** Column type for text that may be large (up to megabytes): MySQL's TEXT stops at 64 KB. */
export function largeTextType(dialect: Dialect): 'text' | 'longtext' {
  return dialect === 'mysql' ? 'longtext' : 'text';
}

/**
 * A FROM source that reads `table` through `index` on MySQL/MariaDB, and the plain table elsewhere.
 * MariaDB's planner estimates a deep keyset page (`owner = ? AND time <= ?`) as half the owner's rows and
 * walks the whole owner range instead of the index range (131 ms against 2 ms at 300k rows). The hint sits
 * in a derived table, which MariaDB merges back into one plain range scan; the alias keeps the table's name
 * so the rest of the query reads as usual.
 *
 * @example
 * db.selectFrom(readThroughIndex(dialect, 'history_entries', 'history_entries_user_time_idx'))
 */
export function readThroughIndex<T extends string>(dialect: Dialect, table: T, index: string): T {
  if (dialect !== 'mysql') return table;
  // Kysely accepts an aliased raw source wherever a table name goes; its type is the table's.
  return sql`(select * from ${sql.table(table)} force index (${sql.id(index)}))`.as(table) as unknown as T;
}

export interface GroupCommit<T, R> {
  /** Adds one item to the next batch; resolves with that batch's result once it has committed. */
  submit(item: T): Promise<R>;
}

/**
 * Group commit for concurrent single writes: items submitted while the event loop is busy (the requests
 * read in one poll of the sockets, or that arrived while the previous batch was committing) are written by
 * one `run` — one transaction, one commit — instead of one each. Every caller is answered only after the
 * batch holding its item has committed, so durability is what a single write's would be. When a batch of
 * several fails, each of its items is run again alone, so one bad item fails only its own caller.
 * One batch runs at a time; an idle group adds no wait beyond the current turn of the event loop.
 *
 * @example
 * const saves = createGroupCommit({ run: (entries) => db.transaction().execute((trx) => insertAll(trx, entries)) });
 * await saves.submit(entry);
 */
export function createGroupCommit<T, R>(options: {
  run: (items: readonly T[]) => Promise<R>;
  /** Largest batch; more waiting items go to the next one. Default 256. */
  maxBatch?: number;
  /**
   * Batches running at once. 1 for SQLite (one connection: a second batch would only queue); a pooled
   * server engine commits several at once, each commit a network round trip and a log flush.
   */
  concurrency?: number;
}): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? 256;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  type Waiting = { item: T; resolve(result: R): void; reject(err: unknown): void };
  let queue: Waiting[] = [];
  let running = 0;
  let scheduled = false;

  async function runAlone(entry: Waiting): Promise<void> {
    try {
      entry.resolve(await options.run([entry.item]));
    } catch (err) {
      entry.reject(err);
    }
  }

  /** One worker: takes batches from the queue until it is empty. */
  async function work(): Promise<void> {
    running += 1;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          const result = await options.run(batch.map((w) => w.item));
          for (const w of batch) w.resolve(result);
        } catch (err) {
          if (batch.length === 1) batch[0]?.reject(err);
          else for (const w of batch) await runAlone(w);
        }
      }
    } finally {
      running -= 1;
    }
  }

  function startWorker(): void {
    work().catch((err: unknown) => {
      // work settles every item itself; this only guards against a bug leaving callers waiting
      for (const w of queue.splice(0)) w.reject(err);
    });
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (scheduled || running >= concurrency) return;
        scheduled = true;
        // setImmediate runs after the current poll phase: the other requests already read by then have
        // reached their own submit and join this batch.
        setImmediate(() => {
          scheduled = false;
          if (queue.length > 0 && running < concurrency) startWorker();
        });
      });
    },
  };
}
