import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase, createId, runMigrations, type Database } from '@ashapp/platform';
import { createTestDatabase, testDialects, type TestDatabase } from '@ashapp/platform/testing';
import { createRetentionSweeper } from '../retention/retention-sweeper.ts';
import { createCapturingLogger } from '@ashapp/platform/testing';
import {
  createEventsRepository,
  createMonitorMigrations,
  type EventsRepository,
  type MonitorTables,
  type StoredEvent,
} from './events-repository.ts';

const alice = 'arn:aws:iam::111111111111:user/alice';
const bob = 'arn:aws:iam::111111111111:user/bob';
const base = Date.UTC(2026, 0, 1, 12, 0, 0);

function makeEvent(overrides: Partial<StoredEvent> & { at: number }): StoredEvent {
  return {
    id: createId(overrides.at),
    userId: alice,
    service: 'assistant',
    endpoint: '/api/ask',
    actionType: 'ask',
    requestData: JSON.stringify({ query: 'list ec2 instances' }),
    responseSummary: JSON.stringify({ ok: true }),
    ipAddress: '10.0.0.1',
    userAgent: 'test-agent',
    requestId: 'req-1',
    ...overrides,
  };
}

for (const dialect of testDialects) {
  describe(`monitor events repository on ${dialect}`, () => {
    let testDb: TestDatabase;
    let database: Database<MonitorTables>;
    let repo: EventsRepository;
    const aliceEvents: StoredEvent[] = [];

    before(async () => {
      testDb = await createTestDatabase(dialect);
      database = createDatabase<MonitorTables>({ url: testDb.url });
      await runMigrations(database.db, 'monitor', createMonitorMigrations(database.dialect));
      repo = createEventsRepository(database);
      // Seven of alice's events share one millisecond: paging must still visit each exactly once.
      for (let i = 0; i < 15; i += 1) {
        const at = i < 7 ? base : base + i * 60_000;
        aliceEvents.push(
          makeEvent({
            at,
            service: i % 3 === 0 ? 'deployer' : 'assistant',
            actionType: i % 2 === 0 ? 'deploy-app' : 'ask',
            endpoint: i % 2 === 0 ? '/deployer-api/deploy' : '/api/ask',
            requestData: JSON.stringify({ query: `Describe Stack ${i}`, note: '100%_done' }),
          }),
        );
      }
      await repo.insertMany(aliceEvents);
      await repo.insertMany([
        makeEvent({ at: base + 30_000, userId: bob, service: 'history', actionType: 'history.save' }),
      ]);
    });
    after(async () => {
      await database.close();
      await testDb.drop();
    });

    test('stores a new id once and reports a repeated id as not stored', async () => {
      const event = makeEvent({ at: base - 1000, userId: 'dedupe-user' });
      assert.deepEqual([...(await repo.insertMany([event]))], [event.id]);
      const again = await repo.insertMany([event, makeEvent({ at: base - 999, userId: 'dedupe-user' })]);
      assert.equal(again.size, 1);
      assert.ok(!again.has(event.id));
      const rows = await repo.list({ userId: 'dedupe-user', limit: 10 });
      assert.equal(rows.length, 2);
      assert.deepEqual(rows[1], event);
    });

    test('stores a batch larger than one insert chunk in one call', async () => {
      const many = Array.from({ length: 1200 }, (_, i) =>
        makeEvent({ at: base - 7_200_000 + i, userId: 'bulk-user' }),
      );
      assert.equal((await repo.insertMany(many)).size, 1200);
      assert.equal((await repo.insertMany(many.slice(0, 600))).size, 0);
      assert.equal((await repo.list({ userId: 'bulk-user', limit: 2000 })).length, 1200);
    });

    test('a batch mixing stored and new ids across chunks stores each new one once, returning exactly those', async () => {
      const stored = Array.from({ length: 300 }, (_, i) =>
        makeEvent({ at: base - 9_000_000 + i, userId: 'mixed-user' }),
      );
      await repo.insertMany(stored);
      const fresh = Array.from({ length: 400 }, (_, i) =>
        makeEvent({ at: base - 8_000_000 + i, userId: 'mixed-user' }),
      );
      // Interleaved so both insert chunks (500 rows each) hold old and new ids.
      const mixed = fresh.flatMap((e, i) => (i < 300 ? [stored[i]!, e] : [e]));
      const result = await repo.insertMany(mixed);
      assert.deepEqual(new Set(result), new Set(fresh.map((e) => e.id)));
      assert.equal((await repo.list({ userId: 'mixed-user', limit: 1000 })).length, 700);
    });

    test('stores every field of a batch as given: quotes, backslashes, unicode, escapes, nulls, trace ids', async () => {
      const awkward = [
        makeEvent({
          at: base - 5_000_000,
          userId: 'awkward-user',
          endpoint: 'POST /a "quoted" \\ back\\slash\nnew line \t tab',
          userAgent: 'Mozilla/5.0 (ünïcödé; 日本語) 🚀',
          requestData: JSON.stringify({ text: 'lone \ud800 half', path: 'C:\\dir\\u0041', q: '"\'`' }),
          responseSummary: null,
          ipAddress: null,
          requestId: null,
          traceId: '0123456789abcdef0123456789abcdef',
        }),
        makeEvent({
          at: base - 5_000_001,
          userId: 'awkward-user',
          endpoint: 'GET /{"json":[1,2]}',
          requestData: null,
          userAgent: null,
        }),
      ];
      assert.equal((await repo.insertMany(awkward)).size, 2);
      const rows = await repo.list({ userId: 'awkward-user', limit: 10 });
      assert.deepEqual(rows, awkward);
      assert.deepEqual(JSON.parse(rows[0]!.requestData!), JSON.parse(awkward[0]!.requestData!));
    });

    test('a lone surrogate in a text field does not fail the batch; it reads back as U+FFFD', async () => {
      const event = makeEvent({ at: base - 4_000_000, userId: 'surrogate-user', endpoint: 'GET /x\ud800y' });
      assert.equal((await repo.insertMany([event])).size, 1);
      const [row] = await repo.list({ userId: 'surrogate-user', limit: 10 });
      // The drivers encode it as U+FFFD (SQLite keeps its three bytes, read back as three U+FFFD).
      assert.match(row?.endpoint ?? '', /^GET \/x\ufffd+y$/);
    });

    test('lists newest first and filters by user, service, action, endpoint and time range', async () => {
      const all = await repo.list({ userId: alice, limit: 100 });
      assert.equal(all.length, 15);
      for (let i = 1; i < all.length; i += 1) {
        const prev = all[i - 1]!;
        const cur = all[i]!;
        assert.ok(prev.at > cur.at || (prev.at === cur.at && prev.id > cur.id));
      }
      assert.equal((await repo.list({ userId: bob, limit: 100 })).length, 1);
      const deployer = await repo.list({ userId: alice, service: 'deployer', limit: 100 });
      assert.equal(deployer.length, 5);
      assert.ok(deployer.every((e) => e.service === 'deployer'));
      assert.equal((await repo.list({ userId: alice, actionType: 'ask', limit: 100 })).length, 7);
      assert.equal(
        (await repo.list({ userId: alice, endpoint: '/deployer-api/deploy', limit: 100 })).length,
        8,
      );
      const ranged = await repo.list({
        userId: alice,
        from: base + 7 * 60_000,
        to: base + 10 * 60_000,
        limit: 100,
      });
      assert.deepEqual(
        ranged.map((e) => e.at),
        [base + 9 * 60_000, base + 8 * 60_000, base + 7 * 60_000],
      );
    });

    test('searches endpoint, action and data case-insensitively, treating % and _ literally', async () => {
      assert.equal((await repo.list({ userId: alice, text: 'describe stack 12', limit: 100 })).length, 1);
      assert.equal((await repo.list({ userId: alice, text: 'DEPLOY-APP', limit: 100 })).length, 8);
      assert.equal((await repo.list({ userId: alice, text: '100%_d', limit: 100 })).length, 15);
      assert.equal((await repo.list({ userId: alice, text: '0%d', limit: 100 })).length, 0);
      assert.equal((await repo.list({ userId: alice, text: 'history.save', limit: 100 })).length, 0);
      assert.equal((await repo.list({ text: 'history.save', limit: 100 })).length, 1);
    });

    test('pages with a (time, id) cursor without skipping or repeating events that share a time', async () => {
      const seen: string[] = [];
      let before: { at: number; id: string } | undefined;
      for (let page = 0; page < 20; page += 1) {
        const rows = await repo.list({ userId: alice, limit: 4, ...(before ? { before } : {}) });
        seen.push(...rows.map((r) => r.id));
        const last = rows.at(-1);
        if (rows.length < 4 || !last) break;
        before = { at: last.at, id: last.id };
      }
      assert.equal(seen.length, 15);
      assert.deepEqual(new Set(seen), new Set(aliceEvents.map((e) => e.id)));
    });

    test('counts per service, action and time bucket within the range and the user scope', async () => {
      const stats = await repo.stats({ userId: alice, from: base, to: base + 15 * 60_000, bucketMs: 60_000 });
      assert.deepEqual(stats.byService, [
        { service: 'assistant', count: 10 },
        { service: 'deployer', count: 5 },
      ]);
      assert.deepEqual(stats.byAction, [
        { actionType: 'deploy-app', count: 8 },
        { actionType: 'ask', count: 7 },
      ]);
      assert.deepEqual(stats.byTime[0], { start: base, count: 7 });
      assert.equal(stats.byTime.length, 9);
      const hourly = await repo.stats({ from: base, to: base + 3_600_000, bucketMs: 3_600_000 });
      assert.deepEqual(hourly.byTime, [{ start: base, count: 16 }]);
    });

    test('retention deletes only events older than the cutoff, in bounded batches', async () => {
      const old = Array.from({ length: 25 }, (_, i) =>
        makeEvent({ at: base - 200 * 86_400_000 + i, userId: 'old-user' }),
      );
      await repo.insertMany(old);
      const before = await repo.count();
      const sweeper = createRetentionSweeper({
        events: repo,
        log: createCapturingLogger().log,
        retentionDays: 90,
        intervalMs: 60_000,
        batchSize: 10,
      });
      assert.equal(await sweeper.sweep(base), 25);
      assert.equal(await repo.count(), before - 25);
      assert.equal((await repo.list({ userId: 'old-user', limit: 100 })).length, 0);
      assert.equal(await sweeper.sweep(base), 0);
    });
  });
}
