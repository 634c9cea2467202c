import {
  createInsertText,
  largeTextType,
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
  // Pages are the hot read path: each shape of the page query is a statement compiled once (ADR 0029), not
  // built by the query builder per request; rows come back as arrays.
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const pageStatements = new Map<string, (params: readonly unknown[]) => Promise<unknown[][]>>();
  function pageStatement(shape: { before: boolean; text: boolean; includeOutput: boolean }) {
    const key = `${shape.before}/${shape.text}/${shape.includeOutput}`;
    let read = pageStatements.get(key);
    if (read) return read;
    const columns = ['id', 'user_id', 'created_at', 'query', ...(shape.includeOutput ? ['output'] : [])];
    // MariaDB is told which index to read (readThroughIndex): its planner otherwise sorts the user's rows.
    const from =
      dialect === 'mysql'
        ? `${q('history_entries')} force index (${q('history_entries_user_time_idx')})`
        : q('history_entries');
    const where = [`${q('user_id')} = ?`];
    // The first condition bounds the index range scan on every engine; the second breaks ties.
    // (A bare `a < x OR (a = x AND b < y)` makes some planners scan the whole user range.)
    if (shape.before) where.push(`${q('created_at')} <= ?`, `(${q('created_at')} < ? or ${q('id')} < ?)`);
    if (shape.text) {
      where.push(`(${q('query')} ${like} ? escape '!' or ${q('output')} ${like} ? escape '!')`);
    }
    read = database.prepareRead(
      `select ${columns.map(q).join(', ')} from ${from} where ${where.join(' and ')} ` +
        `order by ${q('created_at')} desc, ${q('id')} desc limit ?`,
    );
    pageStatements.set(key, read);
    return read;
  }

  return {
    insert: (entry, trx) => insertMany([entry], trx),
    insertMany,

    async list({ userId, limit, before, text, includeOutput }) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit ${limit}`);
      const read = pageStatement({ before: before !== undefined, text: text !== undefined, includeOutput });
      const params: unknown[] = [userId];
      if (before) params.push(before.at, before.at, before.id);
      if (text !== undefined) {
        const pattern = `%${escapeLike(text)}%`;
        params.push(pattern, pattern);
      }
      params.push(limit);
      const rows = await read(params);
      return rows.map((r) => ({
        id: r[0] as string,
        userId: r[1] as string,
        createdAt: Number(r[2]),
        query: r[3] as string,
        output: includeOutput ? (r[4] as string) : null,
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
