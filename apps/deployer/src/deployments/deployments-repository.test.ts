import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConflictError, createDatabase, createId, runMigrations, type Database } from '@ashapp/platform';
import { createTestDatabase, testDialects, type TestDatabase } from '@ashapp/platform/testing';
import {
  createDeployerMigrations,
  createDeploymentsRepository,
  type DeployerTables,
  type DeploymentRow,
  type DeploymentsRepository,
} from './deployments-repository.ts';

function draft(appName: string, userId: string, at: number): Omit<DeploymentRow, 'revision'> {
  return {
    id: createId(at),
    user_id: userId,
    namespace: 'default',
    app_name: appName,
    kind: 'deploy',
    source_revision: null,
    state: 'Initialized',
    progress: 0,
    target: 'podman',
    strategy: 'rolling',
    request: JSON.stringify({ code: 'x'.repeat(100_000) }),
    image: null,
    url: null,
    manifest: null,
    error: null,
    created_at: at,
    updated_at: at,
    finished_at: null,
    lease_owner: 'replica-a',
    lease_expires_at: at + 30_000,
  };
}

for (const dialect of testDialects) {
  describe(`deployments repository on ${dialect}`, () => {
    let testDb: TestDatabase;
    let database: Database<DeployerTables>;
    let repo: DeploymentsRepository;

    before(async () => {
      testDb = await createTestDatabase(dialect);
      database = createDatabase<DeployerTables>({ url: testDb.url });
      await runMigrations(database.db, 'deployer', createDeployerMigrations(database.dialect));
      repo = createDeploymentsRepository(database);
    });
    after(async () => {
      await database.close();
      await testDb.drop();
    });

    test('numbers revisions per app and records the first deployer as the owner', async () => {
      const first = await repo.createDeployment(draft('hello', 'alice', 1000));
      await repo.updateDeployment(first.id, { state: 'Stable', finished_at: 1500 });
      const second = await repo.createDeployment(draft('hello', 'alice', 2000));
      const other = await repo.createDeployment(draft('other', 'bob', 3000));
      assert.deepEqual([first.revision, second.revision, other.revision], [1, 2, 1]);
      assert.equal((await repo.getApp('default', 'hello'))?.user_id, 'alice');
      assert.deepEqual(
        (await repo.listRevisions('default', 'hello')).map((r) => r.revision),
        [2, 1],
      );
      assert.equal((await repo.getRevision('default', 'hello', 1))?.id, first.id);
      assert.equal(
        (await repo.getDeployment(first.id))?.request.length,
        JSON.stringify({ code: 'x'.repeat(100_000) }).length,
      );
    });

    test('updates state, keeps events in order, and lists unfinished records', async () => {
      const d = await repo.createDeployment(draft('evt', 'alice', 4000));
      await repo.updateDeployment(d.id, { state: 'Building', progress: 35 });
      for (let seq = 1; seq <= 3; seq += 1) {
        await repo.appendEvent({
          deployment_id: d.id,
          seq,
          at: 4000 + seq,
          kind: 'log',
          stage: 'Building',
          text: `line ${seq}`,
        });
      }
      assert.deepEqual(
        (await repo.listEvents(d.id)).map((e) => e.text),
        ['line 1', 'line 2', 'line 3'],
      );
      assert.ok((await repo.listUnfinished()).some((r) => r.id === d.id));
      await repo.updateDeployment(d.id, { state: 'Stable', progress: 100, finished_at: 5000 });
      assert.ok(!(await repo.listUnfinished()).some((r) => r.id === d.id));
    });

    test('lists newest first, per user or for everyone, with a cursor', async () => {
      const mine = await repo.listDeployments({ userId: 'alice', limit: 2 });
      assert.deepEqual(
        mine.map((r) => r.app_name),
        ['evt', 'hello'],
      );
      const last = mine.at(-1)!;
      const next = await repo.listDeployments({
        userId: 'alice',
        limit: 10,
        before: { at: last.created_at, id: last.id },
      });
      assert.deepEqual(
        next.map((r) => r.revision),
        [1],
      );
      assert.equal((await repo.listDeployments({ limit: 10 })).length, 4);
    });

    test('one unfinished deployment per app across replicas: concurrent creates, one wins, the other is a conflict', async () => {
      const results = await Promise.allSettled([
        repo.createDeployment(draft('raced', 'alice', 15_000)),
        repo.createDeployment(draft('raced', 'alice', 15_001)),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, JSON.stringify(lost.map((r) => String(r.reason))));
      assert.ok(lost[0]?.reason instanceof ConflictError, String(lost[0]?.reason));
      assert.equal(await repo.hasUnfinished('default', 'raced'), true);
      await repo.updateDeployment((won[0] as PromiseFulfilledResult<DeploymentRow>).value.id, {
        state: 'Failed',
        finished_at: 15_500,
      });
      assert.equal(await repo.hasUnfinished('default', 'raced'), false);
      assert.equal((await repo.createDeployment(draft('raced', 'alice', 16_000))).revision, 2);
    });

    test('leases: the holder renews; a lapsed lease is listed and exactly one replica claims it', async () => {
      const d = await repo.createDeployment({
        ...draft('leased', 'alice', 20_000),
        lease_expires_at: 21_000,
      });
      assert.deepEqual(await repo.renewLeases('replica-a', [d.id], 22_000), [d.id]);
      assert.deepEqual(await repo.renewLeases('replica-b', [d.id], 99_000), [], 'only the holder renews');
      assert.ok(!(await repo.listExpiredLeases(21_500)).some((r) => r.id === d.id), 'renewed, so not lapsed');
      const lapsed = (await repo.listExpiredLeases(22_500)).find((r) => r.id === d.id);
      assert.ok(lapsed);
      const claims = await Promise.all([
        repo.claimLease(lapsed, 'replica-b', 40_000),
        repo.claimLease(lapsed, 'replica-c', 40_000),
      ]);
      assert.deepEqual(claims.filter(Boolean).length, 1, 'one claim wins');
      const holder = (await repo.getDeployment(d.id))?.lease_owner;
      assert.ok(holder === 'replica-b' || holder === 'replica-c');
      assert.deepEqual(await repo.renewLeases('replica-a', [d.id], 50_000), [], 'the old holder lost it');
      await repo.updateDeployment(d.id, { state: 'Failed', finished_at: 23_000 });
      assert.ok(
        !(await repo.listExpiredLeases(99_999)).some((r) => r.id === d.id),
        'finished records are never claimed',
      );
    });

    test('reads events after a cursor, in order, a page at a time', async () => {
      const d = await repo.createDeployment(draft('cursor', 'alice', 30_000));
      for (let seq = 1; seq <= 5; seq += 1) {
        await repo.appendEvent({
          deployment_id: d.id,
          seq,
          at: 30_000 + seq,
          kind: 'log',
          stage: 'Building',
          text: `l${seq}`,
        });
      }
      assert.deepEqual(
        (await repo.listEventsAfter(d.id, 2, 2)).map((e) => e.seq),
        [3, 4],
      );
      assert.deepEqual(
        (await repo.listEventsAfter(d.id, 4, 10)).map((e) => e.seq),
        [5],
      );
      assert.deepEqual(await repo.listEventsAfter(d.id, 5, 10), []);
    });

    test('tracks the live revision and deletion; a deleted name can be deployed again', async () => {
      await repo.setLiveRevision('default', 'hello', 2);
      assert.equal((await repo.getApp('default', 'hello'))?.live_revision, 2);
      await repo.markAppDeleted('default', 'hello', 9000);
      const app = await repo.getApp('default', 'hello');
      assert.equal(app?.deleted_at, 9000);
      assert.equal(app?.live_revision, null);
      for (const row of await repo.listRevisions('default', 'hello'))
        await repo.updateDeployment(row.id, { finished_at: 9500 });
      const again = await repo.createDeployment(draft('hello', 'bob', 10_000));
      assert.equal(again.revision, 3);
      assert.equal((await repo.getApp('default', 'hello'))?.user_id, 'bob');
    });

    test('reads the apps of a list page in one query, only the ones asked for', async () => {
      // `hello` exists from the tests above (bob's since it was deleted and deployed again); `a`/`b-c` and
      // `a-b`/`c` join to the same text.
      await repo.createDeployment({ ...draft('b-c', 'alice', 4000), namespace: 'a' });
      await repo.createDeployment({ ...draft('c', 'bob', 4100), namespace: 'a-b' });
      const apps = await repo.listApps([
        { namespace: 'default', appName: 'hello' },
        { namespace: 'a', appName: 'b-c' },
        { namespace: 'default', appName: 'missing' },
      ]);
      assert.deepEqual(apps.map((a) => `${a.namespace}/${a.app_name}:${a.user_id}`).sort(), [
        'a/b-c:alice',
        'default/hello:bob',
      ]);
      assert.deepEqual(await repo.listApps([]), []);
    });
  });
}
