import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ConflictError,
  createDatabase,
  NotAllowedError,
  NotFoundError,
  runMigrations,
} from '@ashapp/platform';
import type { Database } from '@ashapp/platform';
import { createTestDatabase, testDialects, type TestDatabase } from '@ashapp/platform/testing';
import type { Kysely } from 'kysely';
import type { Plan } from '../plan/plan.ts';
import { createConfirmationService } from './confirmation-service.ts';
import type { ConfirmationStore } from './confirmation-store.ts';
import {
  createConfirmationMigrations,
  createDatabaseConfirmationStore,
  type ConfirmationTables,
} from './database-confirmation-store.ts';

const stopPlan: Plan = {
  service: 'ec2',
  operation: 'stop-instances',
  parameters: { InstanceIds: ['i-0a1b2c3d4e5f60001'] },
  region: 'us-east-1',
};
const query = 'stop instance i-0a1b2c3d4e5f60001';

for (const dialect of testDialects) {
  describe(`database confirmation store on ${dialect}`, () => {
    let testDb: TestDatabase;
    let database: Database<ConfirmationTables>;
    let store: ConfirmationStore;
    let clock = new Date('2026-01-01T00:00:00Z');
    const service = () => createConfirmationService({ store, now: () => clock, hashKey: 'k'.repeat(32) });
    const ask = (userId = 'alice', sessionId = 's1', text = query) =>
      service().requestConfirmation({ userId, sessionId, query: text, plan: stopPlan, command: 'aws ec2 …' });

    before(async () => {
      testDb = await createTestDatabase(dialect);
      database = createDatabase<ConfirmationTables>({ url: testDb.url });
      await runMigrations(database.db, 'assistant', createConfirmationMigrations(database.dialect));
      store = createDatabaseConfirmationStore(database);
    });
    after(async () => {
      await database.close();
      await testDb.drop();
    });

    test('stores the exact plan and returns it once on accept', async () => {
      const { confirmationId, expiresAt } = await ask();
      assert.equal(expiresAt.getTime() - clock.getTime(), 5 * 60 * 1000);
      const resolved = await service().resolveConfirmation({
        userId: 'alice',
        sessionId: 's1',
        confirmationId,
        decision: 'accept',
      });
      assert.deepEqual(resolved.plan, stopPlan);
      await assert.rejects(
        service().resolveConfirmation({
          userId: 'alice',
          sessionId: 's1',
          confirmationId,
          decision: 'accept',
        }),
        ConflictError,
      );
      const stored = await store.findById(confirmationId);
      assert.equal(stored?.status, 'accepted');
    });

    test('lets exactly one of many concurrent accepts through', async () => {
      const { confirmationId } = await ask();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          service().resolveConfirmation({
            userId: 'alice',
            sessionId: 's1',
            confirmationId,
            decision: 'accept',
          }),
        ),
      );
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      for (const o of outcomes.filter((o) => o.status === 'rejected'))
        assert.ok((o as PromiseRejectedResult).reason instanceof ConflictError);
    });

    test('expires after five minutes and refuses other users and sessions', async () => {
      const { confirmationId } = await ask();
      await assert.rejects(
        service().resolveConfirmation({ userId: 'bob', sessionId: 's1', confirmationId, decision: 'accept' }),
        NotFoundError,
      );
      await assert.rejects(
        service().resolveConfirmation({
          userId: 'alice',
          sessionId: 's2',
          confirmationId,
          decision: 'accept',
        }),
        NotAllowedError,
      );
      clock = new Date(clock.getTime() + 5 * 60 * 1000 + 1);
      await assert.rejects(
        service().resolveConfirmation({
          userId: 'alice',
          sessionId: 's1',
          confirmationId,
          decision: 'accept',
        }),
        /expired/,
      );
      assert.equal(await store.complete(confirmationId, 'accepted', clock), false);
    });

    test('finds the newest pending confirmation for exactly the query text, and only the owner', async () => {
      await ask('alice', 's1', query);
      clock = new Date(clock.getTime() + 1000);
      const newest = await ask('alice', 's1', query);
      await ask('alice', 's1', query.toUpperCase());
      const found = await store.findPendingByQuery('alice', query, clock);
      assert.equal(found?.id, newest.confirmationId);
      assert.equal(await store.findPendingByQuery('alice', `${query} `, clock), undefined);
      assert.equal(await store.findPendingByQuery('ALICE', query, clock), undefined);
      assert.equal(await store.findPendingByQuery('bob', query, clock), undefined);
    });

    test('a plan edited in the database no longer verifies, and nothing is returned to run', async () => {
      const { confirmationId } = await ask();
      const db = database.db as Kysely<ConfirmationTables>;
      await db
        .updateTable('assistant_confirmations')
        .set({ plan: JSON.stringify({ ...stopPlan, operation: 'terminate-instances' }) })
        .where('id', '=', confirmationId)
        .execute();
      await assert.rejects(
        service().resolveConfirmation({
          userId: 'alice',
          sessionId: 's1',
          confirmationId,
          decision: 'accept',
        }),
        /does not match/,
      );
    });

    test('deletes expired confirmations', async () => {
      await ask();
      const removed = await store.deleteExpired(new Date(clock.getTime() + 10 * 60 * 1000));
      assert.ok(removed >= 1);
      assert.equal(await store.findPendingByQuery('alice', query, clock), undefined);
    });

    test('stores the query and command masked, keeps the plan whole, and still finds it by the query', async () => {
      const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
      const text = `put parameter db with Values=${secret}`;
      const { confirmationId } = await service().requestConfirmation({
        userId: 'masker',
        sessionId: 's1',
        query: text,
        plan: { ...stopPlan, parameters: { Value: secret } },
        command: `aws ssm put-parameter --name db --value ${secret}`,
      });
      const raw = JSON.stringify(
        await database.db
          .selectFrom('assistant_confirmations')
          .select(['query', 'command', 'query_hash'])
          .where('id', '=', confirmationId)
          .execute(),
      );
      assert.ok(!raw.includes(secret), raw);
      const found = await store.findPendingByQuery('masker', text, clock);
      assert.equal(found?.id, confirmationId);
      assert.deepEqual(found?.plan.parameters, { Value: secret });
    });
  });
}
