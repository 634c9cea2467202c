import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase, createId, runMigrations, type Database } from '@ashapp/platform';
import { createTestDatabase, testDialects, type TestDatabase } from '@ashapp/platform/testing';
import {
  createEntriesRepository,
  createHistoryMigrations,
  type EntriesRepository,
  type HistoryTables,
} from './entries-repository.ts';

for (const dialect of testDialects) {
  describe(`history entries repository on ${dialect}`, () => {
    let testDb: TestDatabase;
    let database: Database<HistoryTables>;
    let repo: EntriesRepository;
    const alice = 'arn:aws:iam::111111111111:user/alice';
    const bob = 'arn:aws:iam::111111111111:user/bob';
    const base = Date.UTC(2026, 0, 1);

    before(async () => {
      testDb = await createTestDatabase(dialect);
      database = createDatabase<HistoryTables>({ url: testDb.url });
      await runMigrations(database.db, 'history', createHistoryMigrations(database.dialect));
      repo = createEntriesRepository(database);
      // Five of alice's entries share one millisecond: paging must still visit each exactly once.
      for (let i = 0; i < 12; i += 1) {
        const at = i < 5 ? base : base + i * 1000;
        await repo.insert({
          id: createId(at),
          userId: alice,
          createdAt: at,
          query: `list ec2 ${i}`,
          output: `out ${i} 100%_done`,
        });
      }
      await repo.insert({
        id: createId(base),
        userId: bob,
        createdAt: base,
        query: 'bob secret query',
        output: 'x',
      });
    });
    after(async () => {
      await database.close();
      await testDb.drop();
    });

    test('lists only the owner rows, newest first', async () => {
      const rows = await repo.list({ userId: alice, limit: 100, includeOutput: true });
      assert.equal(rows.length, 12);
      assert.ok(rows.every((r) => r.userId === alice));
      for (let i = 1; i < rows.length; i += 1) {
        const prev = rows[i - 1]!;
        const cur = rows[i]!;
        assert.ok(prev.createdAt > cur.createdAt || (prev.createdAt === cur.createdAt && prev.id > cur.id));
      }
    });

    test('pages with a (time, id) cursor without skipping or repeating rows that share a time', async () => {
      const seen: string[] = [];
      let before: { at: number; id: string } | undefined;
      for (let page = 0; page < 10; page += 1) {
        const rows = await repo.list({
          userId: alice,
          limit: 4,
          includeOutput: false,
          ...(before ? { before } : {}),
        });
        seen.push(...rows.map((r) => r.id));
        const last = rows.at(-1);
        if (rows.length < 4 || !last) break;
        before = { at: last.createdAt, id: last.id };
      }
      assert.equal(seen.length, 12);
      assert.equal(new Set(seen).size, 12);
    });

    test('searches queries and outputs case-insensitively, treating % and _ literally', async () => {
      assert.equal(
        (await repo.list({ userId: alice, limit: 50, includeOutput: true, text: 'LIST EC2 3' })).length,
        1,
      );
      assert.equal(
        (await repo.list({ userId: alice, limit: 50, includeOutput: true, text: '100%_d' })).length,
        12,
      );
      assert.equal(
        (await repo.list({ userId: alice, limit: 50, includeOutput: true, text: '0%d' })).length,
        0,
      );
      assert.equal(
        (await repo.list({ userId: alice, limit: 50, includeOutput: true, text: 'bob' })).length,
        0,
      );
    });

    test('stores a 1 MB output whole', async () => {
      const output = 'ü'.repeat(512 * 1024);
      const id = createId();
      await repo.insert({ id, userId: 'big', createdAt: Date.now(), query: 'big', output });
      const [row] = await repo.list({ userId: 'big', limit: 1, includeOutput: true });
      assert.equal(row?.output, output);
    });

    test('deletes only the owner entry', async () => {
      const [bobRow] = await repo.list({ userId: bob, limit: 1, includeOutput: false });
      assert.ok(bobRow);
      assert.equal(await repo.deleteOwn(bobRow.id, alice), false);
      assert.equal(await repo.deleteOwn(bobRow.id, bob), true);
      assert.equal((await repo.list({ userId: bob, limit: 5, includeOutput: false })).length, 0);
    });
  });
}
