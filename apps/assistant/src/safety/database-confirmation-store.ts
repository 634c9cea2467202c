import { createHash } from 'node:crypto';
import {
  largeTextType,
  maskSecretsInText,
  type Database,
  type Dialect,
  type Migration,
} from '@ashapp/platform';
import { sql, type Kysely } from 'kysely';
import type { Plan } from '../plan/plan.ts';
import type { ConfirmationRecord, ConfirmationStatus, ConfirmationStore } from './confirmation-store.ts';

export interface ConfirmationTables {
  assistant_confirmations: {
    id: string;
    user_id: string;
    session_id: string;
    /** SHA-256 of the exact query text: an index key for the original `{query, decision}` lookup. */
    query_hash: string;
    query: string;
    plan: string;
    plan_hash: string;
    command: string;
    status: string;
    created_at: number;
    expires_at: number;
    resolved_at: number | null;
  };
}

export function createConfirmationMigrations(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001_create_assistant_confirmations': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('assistant_confirmations')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(512)', (c) => c.notNull())
          .addColumn('session_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('query_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('query', 'text', (c) => c.notNull())
          .addColumn('plan', sql.raw(largeTextType(dialect)), (c) => c.notNull())
          .addColumn('plan_hash', 'varchar(128)', (c) => c.notNull())
          .addColumn('command', 'text', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('resolved_at', 'bigint')
          .execute();
        await db.schema
          .createIndex('assistant_confirmations_pending_idx')
          .on('assistant_confirmations')
          .columns(['user_id', 'query_hash', 'status', 'created_at'])
          .execute();
        await db.schema
          .createIndex('assistant_confirmations_expiry_idx')
          .on('assistant_confirmations')
          .column('expires_at')
          .execute();
      },
    },
  };
}

function hashQuery(query: string): string {
  return createHash('sha256').update(query, 'utf8').digest('hex');
}

type Row = ConfirmationTables['assistant_confirmations'];

function toRecord(row: Row): ConfirmationRecord {
  return {
    id: row.id,
    userId: row.user_id,
    sessionId: row.session_id,
    query: row.query,
    plan: JSON.parse(row.plan) as Plan,
    planHash: row.plan_hash,
    command: row.command,
    status: row.status as ConfirmationStatus,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
    ...(row.resolved_at !== null ? { resolvedAt: new Date(Number(row.resolved_at)) } : {}),
  };
}

/**
 * Confirmations in the assistant's own database (SQLite, MySQL/MariaDB, PostgreSQL), so they survive a
 * restart and hold across replicas. `complete` is one conditional UPDATE: of two concurrent accepts,
 * exactly one changes the row and may run the plan.
 */
export function createDatabaseConfirmationStore(database: Database<ConfirmationTables>): ConfirmationStore {
  const { db } = database;
  return {
    async insert(record) {
      // The query and the displayed command are stored masked (an ask may carry `Values=<secret>`); the
      // plan stays whole because an accepted confirmation runs it.
      const query = maskSecretsInText(record.query);
      const values = {
        id: record.id,
        user_id: record.userId,
        session_id: record.sessionId,
        query_hash: hashQuery(query),
        query,
        plan: JSON.stringify(record.plan),
        plan_hash: record.planHash,
        command: maskSecretsInText(record.command),
        status: record.status,
        created_at: record.createdAt.getTime(),
        expires_at: record.expiresAt.getTime(),
        resolved_at: record.resolvedAt ? record.resolvedAt.getTime() : null,
      };
      // Inserting an existing id replaces it (the in-memory adapter behaves the same way).
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('assistant_confirmations').where('id', '=', record.id).execute();
        await trx.insertInto('assistant_confirmations').values(values).execute();
      });
    },

    async findById(id) {
      const row = await db
        .selectFrom('assistant_confirmations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async findPendingByQuery(userId, asked, now) {
      // Stored masked, so looked up masked.
      const query = maskSecretsInText(asked);
      const rows = await db
        .selectFrom('assistant_confirmations')
        .selectAll()
        .where('user_id', '=', userId)
        .where('query_hash', '=', hashQuery(query))
        .where('status', '=', 'pending')
        .where('expires_at', '>', now.getTime())
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(5)
        .execute();
      // Compared again here: MySQL's default collation would call "Stop" and "stop " equal.
      const row = rows.find((r) => r.user_id === userId && r.query === query);
      return row ? toRecord(row) : undefined;
    },

    async complete(id, status, now) {
      const result = await db
        .updateTable('assistant_confirmations')
        .set({ status, resolved_at: now.getTime() })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now.getTime())
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async deleteExpired(now) {
      const result = await db
        .deleteFrom('assistant_confirmations')
        .where('expires_at', '<=', now.getTime())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
