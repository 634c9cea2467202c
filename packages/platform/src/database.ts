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
import { createPool } from 'mysql2';
import pg from 'pg';
import { UnavailableError } from './errors.ts';

export type { Migration } from 'kysely';

export type Dialect = 'sqlite' | 'mysql' | 'postgres';

/** A service's own database: one Kysely query path whatever the engine behind it. */
export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** Resolves when the database answers a trivial query; throws `UnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
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
  if (dialect === 'sqlite') {
    const file = readSqlitePath(options.url);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const handle = new SQLite(file);
    handle.pragma('journal_mode = WAL');
    // NORMAL is durable against process crashes in WAL mode; only an OS crash can lose the last commits.
    handle.pragma('synchronous = NORMAL');
    handle.pragma('busy_timeout = 5000');
    handle.pragma('foreign_keys = ON');
    db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
  } else if (dialect === 'mysql') {
    const url = options.url.replace(/^mariadb:/i, 'mysql:');
    const pool = createPool({
      uri: url,
      connectionLimit: poolSize,
      supportBigNumbers: true,
      timezone: 'Z',
      charset: 'utf8mb4',
    });
    db = new Kysely<DB>({ dialect: new MysqlDialect({ pool }) });
  } else {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: poolSize,
      // BIGINT (timestamps in ms, counts) as numbers: every value we store fits in 2^53.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 20 || oid === 1700
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
      },
    });
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
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
    close: () => db.destroy(),
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
