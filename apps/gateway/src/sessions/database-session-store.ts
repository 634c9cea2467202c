import type { Database, Dialect, Migration, Role } from '@ashapp/platform';
import type { Kysely } from 'kysely';
import type { SessionRecord, SessionStore } from './session-store.ts';

export interface SessionTables {
  gateway_sessions: {
    id: string;
    session_hash: string;
    token_hash: string | null;
    user_id: string;
    username: string;
    account: string;
    region: string;
    roles: string;
    credentials: string;
    created_at: number;
    last_seen_at: number;
    expires_at: number;
  };
}

export function createSessionMigrations(_dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001_create_gateway_sessions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('gateway_sessions')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('session_hash', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('token_hash', 'varchar(64)', (c) => c.unique())
          .addColumn('user_id', 'varchar(2048)', (c) => c.notNull())
          .addColumn('username', 'varchar(512)', (c) => c.notNull())
          .addColumn('account', 'varchar(32)', (c) => c.notNull())
          .addColumn('region', 'varchar(64)', (c) => c.notNull())
          .addColumn('roles', 'varchar(255)', (c) => c.notNull())
          .addColumn('credentials', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        // The sweep deletes by either expiry.
        await db.schema
          .createIndex('gateway_sessions_expires_idx')
          .on('gateway_sessions')
          .column('expires_at')
          .execute();
        await db.schema
          .createIndex('gateway_sessions_seen_idx')
          .on('gateway_sessions')
          .column('last_seen_at')
          .execute();
      },
    },
  };
}

type Row = SessionTables['gateway_sessions'];

function toRecord(row: Row): SessionRecord {
  return {
    id: row.id,
    sessionHash: row.session_hash,
    tokenHash: row.token_hash,
    userId: row.user_id,
    username: row.username,
    account: row.account,
    region: row.region,
    roles: JSON.parse(row.roles) as Role[],
    credentials: row.credentials,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
  };
}

/** Sessions in the gateway's own database (SQLite by default, MySQL/MariaDB or PostgreSQL). */
export function createDatabaseSessionStore(options: {
  database: Database<SessionTables>;
  idleMs: number;
}): SessionStore {
  const { db } = options.database;
  return {
    kind: 'database',
    async create(r) {
      await db
        .insertInto('gateway_sessions')
        .values({
          id: r.id,
          session_hash: r.sessionHash,
          token_hash: r.tokenHash,
          user_id: r.userId,
          username: r.username,
          account: r.account,
          region: r.region,
          roles: JSON.stringify(r.roles),
          credentials: r.credentials,
          created_at: r.createdAt,
          last_seen_at: r.lastSeenAt,
          expires_at: r.expiresAt,
        })
        .execute();
    },
    async findBySessionHash(hash) {
      const row = await db
        .selectFrom('gateway_sessions')
        .selectAll()
        .where('session_hash', '=', hash)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async findByTokenHash(hash) {
      const row = await db
        .selectFrom('gateway_sessions')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async touch(record, lastSeenAt) {
      await db
        .updateTable('gateway_sessions')
        .set({ last_seen_at: lastSeenAt })
        .where('id', '=', record.id)
        .execute();
    },
    async revokeToken(record) {
      await db
        .updateTable('gateway_sessions')
        .set({ token_hash: null })
        .where('id', '=', record.id)
        .execute();
    },
    async destroy(record) {
      await db.deleteFrom('gateway_sessions').where('id', '=', record.id).execute();
    },
    async deleteExpired(now) {
      const result = await db
        .deleteFrom('gateway_sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - options.idleMs)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async countLive(now) {
      // Both expiry columns are indexed; the planner range-scans the narrower one.
      const row = await db
        .selectFrom('gateway_sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', now - options.idleMs)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    ping: () => options.database.ping(),
  };
}
