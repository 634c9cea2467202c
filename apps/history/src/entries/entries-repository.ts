import {
  createInsertText,
  largeTextType,
  readThroughIndex,
  type Database,
  type Dialect,
  type Migration,
} from '@ashapp/platform';
import { CompiledQuery, sql, type Kysely } from 'kysely';

export interface HistoryTables {
  history_entries: {
    id: string;
    user_id: string;
    created_at: number;
    query: string;
    output: string;
  };
}

export interface HistoryEntry {
  id: string;
  userId: string;
  createdAt: number;
  query: string;
  output: string | null;
}

export interface ListEntriesOptions {
  userId: string;
  limit: number;
  /** Rows strictly older than this (time, id) position. */
  before?: { at: number; id: string };
  /** Case-insensitive substring of the query or the output. */
  text?: string;
  includeOutput: boolean;
}

export interface EntriesRepository {
  insert(
    entry: Omit<HistoryEntry, 'output'> & { output: string },
    trx?: Kysely<HistoryTables>,
  ): Promise<void>;
  /** Several entries in one statement (a group commit's batch). */
  insertMany(
    entries: ReadonlyArray<Omit<HistoryEntry, 'output'> & { output: string }>,
    trx?: Kysely<HistoryTables>,
  ): Promise<void>;
  list(options: ListEntriesOptions): Promise<HistoryEntry[]>;
  /** Deletes the entry if it belongs to `userId`; returns whether something was deleted. */
  deleteOwn(id: string, userId: string, trx?: Kysely<HistoryTables>): Promise<boolean>;
}

export function createHistoryMigrations(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001_create_history_entries': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('history_entries')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          // ARNs are at most 2,048 characters, but an index key must stay small on MySQL (3,072 bytes).
          .addColumn('user_id', 'varchar(512)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('query', 'text', (c) => c.notNull())
          .addColumn('output', sql.raw(largeTextType(dialect)), (c) => c.notNull())
          .execute();
        // Every page is a range scan on this index: a user's rows, newest first, after a (time, id) cursor.
        await db.schema
          .createIndex('history_entries_user_time_idx')
          .on('history_entries')
          .columns(['user_id', 'created_at', 'id'])
          .execute();
      },
    },
  };
}

// `!` as the LIKE escape character: a backslash means different things in MySQL and standard SQL literals.
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

export function createEntriesRepository(database: Database<HistoryTables>): EntriesRepository {
  const { db, dialect } = database;
  const like = dialect === 'postgres' ? 'ilike' : 'like';
  const insertText = createInsertText(dialect, 'history_entries', [
    'id',
    'user_id',
    'created_at',
    'query',
    'output',
  ]);
  async function insertMany(
    entries: ReadonlyArray<Omit<HistoryEntry, 'output'> & { output: string }>,
    trx?: Kysely<HistoryTables>,
  ): Promise<void> {
    if (entries.length === 0) return;
    const values = entries.flatMap((e) => [e.id, e.userId, e.createdAt, e.query, e.output]);
    await (trx ?? db).executeQuery(CompiledQuery.raw(insertText(entries.length), values));
  }
  return {
    insert: (entry, trx) => insertMany([entry], trx),
    insertMany,

    async list({ userId, limit, before, text, includeOutput }) {
      let query = db
        .selectFrom(readThroughIndex(dialect, 'history_entries', 'history_entries_user_time_idx'))
        .select(['id', 'user_id', 'created_at', 'query'])
        .where('user_id', '=', userId);
      if (includeOutput) query = query.select('output');
      if (before) {
        // The first condition bounds the index range scan on every engine; the second breaks ties.
        // (A bare `a < x OR (a = x AND b < y)` makes some planners scan the whole user range.)
        query = query
          .where('created_at', '<=', before.at)
          .where((eb) => eb.or([eb('created_at', '<', before.at), eb('id', '<', before.id)]));
      }
      if (text) {
        const pattern = `%${escapeLike(text)}%`;
        query = query.where((eb) =>
          eb.or([
            sql<boolean>`${eb.ref('query')} ${sql.raw(like)} ${pattern} escape '!'`,
            sql<boolean>`${eb.ref('output')} ${sql.raw(like)} ${pattern} escape '!'`,
          ]),
        );
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        id: r.id,
        userId: r.user_id,
        createdAt: Number(r.created_at),
        query: r.query,
        output: 'output' in r ? (r.output as string) : null,
      }));
    },

    async deleteOwn(id, userId, trx) {
      const result = await (trx ?? db)
        .deleteFrom('history_entries')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
