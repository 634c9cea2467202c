import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase, createGroupCommit } from './database.ts';
import { createTestDatabase, testDialects } from './testing/databases.ts';

describe('group commit', () => {
  test('writes items submitted in one turn of the event loop as one batch, answering each caller', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit<number, string>({
      run: async (items) => {
        batches.push([...items]);
        return `batch ${batches.length}`;
      },
    });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => group.submit(n)));
    assert.deepEqual(batches, [[1, 2, 3, 4]]);
    assert.deepEqual(answers, ['batch 1', 'batch 1', 'batch 1', 'batch 1']);
  });

  test('items that arrive while a batch commits go into the next batch, none waits for a later one', async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const group = createGroupCommit<number, void>({
      run: async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    const first = group.submit(1);
    // Let the first batch start, then submit while it is still "committing".
    await new Promise((resolve) => setImmediate(resolve));
    const later = [group.submit(2), group.submit(3)];
    assert.deepEqual(batches, [[1]]);
    release?.();
    await Promise.all([first, ...later]);
    assert.deepEqual(batches, [[1], [2, 3]]);
  });

  test('a failed batch is retried item by item: only the bad item fails, the others are written', async () => {
    const written: number[] = [];
    const group = createGroupCommit<number, void>({
      run: async (items) => {
        if (items.includes(13)) throw new Error('13 is refused');
        written.push(...items);
      },
    });
    const results = await Promise.allSettled([11, 12, 13, 14].map((n) => group.submit(n)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((results[2] as PromiseRejectedResult).reason), /13 is refused/);
    assert.deepEqual(written, [11, 12, 14]);
  });

  test('splits more waiting items than maxBatch over several batches', async () => {
    const sizes: number[] = [];
    const group = createGroupCommit<number, void>({
      maxBatch: 3,
      run: async (items) => {
        sizes.push(items.length);
      },
    });
    await Promise.all(Array.from({ length: 7 }, (_, i) => group.submit(i)));
    assert.deepEqual(sizes, [3, 3, 1]);
  });

  test('with concurrency 2, a second batch commits while the first is still committing', async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const group = createGroupCommit<number, void>({
      concurrency: 2,
      run: async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    const first = group.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = [group.submit(2), group.submit(3)];
    await Promise.all(second);
    assert.deepEqual(batches, [[1], [2, 3]]);
    release?.();
    await first;
  });
});

describe('a PostgreSQL connection the server ends while idle', () => {
  test('does not end the process, and the next query opens a new connection', async () => {
    const testDb = await createTestDatabase('postgres');
    const database = createDatabase({ url: testDb.url });
    const admin = createDatabase({ url: testDb.url });
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
      const pid = rows[0]?.pid;
      assert.ok(pid !== undefined);
      // What a restart, a failover or an administrator does to the idle pooled connection.
      await sql`select pg_terminate_backend(${pid})`.execute(admin.db);
      // Let the pool see the termination on its idle client (an 'error' event with no caller to take it).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
      assert.notEqual(after.rows[0]?.pid, pid);
    } finally {
      await admin.close();
      await database.close();
      await testDb.drop();
    }
  });
});

describe('a SQLite database', () => {
  test("keeps SQLite's own 2,000 KiB page cache on both connections, not better-sqlite3's 16,000", async () => {
    const testDb = await createTestDatabase('sqlite');
    const database = createDatabase<unknown>({ url: testDb.url });
    try {
      const writer = await sql<{ cache_size: number }>`pragma cache_size`.execute(database.db);
      assert.deepEqual(writer.rows, [{ cache_size: -2000 }]);
      const reader = await database.prepareRead('pragma cache_size')([]);
      assert.deepEqual(reader, [[-2000]]);
    } finally {
      await database.close();
      await testDb.drop();
    }
  });
});

for (const dialect of testDialects) {
  describe(`prepared reads on ${dialect}`, () => {
    test('return rows as arrays in select order, with parameters in place of each ?', async () => {
      const testDb = await createTestDatabase(dialect);
      const database = createDatabase<{ items: { id: string; n: number; note: string | null } }>({
        url: testDb.url,
      });
      try {
        await database.db.schema
          .createTable('items')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addColumn('note', 'text')
          .execute();
        await database.db
          .insertInto('items')
          .values([
            { id: 'a', n: 1_700_000_000_001, note: 'first' },
            { id: 'b', n: 1_700_000_000_002, note: null },
            { id: 'c', n: 1_700_000_000_003, note: 'it\'s "quoted" ?' },
          ])
          .execute();
        const read = database.prepareRead(
          'select id, n, note from items where n >= ? and id <> ? order by n limit ?',
        );
        assert.deepEqual(
          (await read([1_700_000_000_002, 'x', 10])).map((r) => [r[0], Number(r[1]), r[2]]),
          [
            ['b', 1_700_000_000_002, null],
            ['c', 1_700_000_000_003, 'it\'s "quoted" ?'],
          ],
        );
        // Compiled once, run again with other values.
        assert.deepEqual(
          (await read([0, 'a', 1])).map((r) => r[0]),
          ['b'],
        );
      } finally {
        await database.close();
        await testDb.drop();
      }
    });

    test('see committed rows only: not the writes of a transaction still open', async () => {
      const testDb = await createTestDatabase(dialect);
      const database = createDatabase<{ items: { id: string } }>({ url: testDb.url });
      try {
        await database.db.schema
          .createTable('items')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .execute();
        const count = database.prepareRead('select count(*) from items');
        let release: () => void = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let inserted: () => void = () => {};
        const wrote = new Promise<void>((resolve) => (inserted = resolve));
        const transaction = database.db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ id: 'pending' }).execute();
          inserted();
          await held;
        });
        await wrote;
        // The read does not wait for the open transaction, and does not see its row.
        assert.equal(Number((await count([]))[0]?.[0]), 0);
        release();
        await transaction;
        assert.equal(Number((await count([]))[0]?.[0]), 1);
      } finally {
        await database.close();
        await testDb.drop();
      }
    });
  });
}
