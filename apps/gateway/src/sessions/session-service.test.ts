import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createDatabase, runMigrations } from '@ashapp/platform';
import { createTestDatabase, testDialects, type TestDatabase } from '@ashapp/platform/testing';
import { Redis } from 'ioredis';
import { createSecretBox } from '@ashapp/platform';
import {
  createDatabaseSessionStore,
  createSessionMigrations,
  type SessionTables,
} from './database-session-store.ts';
import { createRedisSessionStore } from './redis-session-store.ts';
import { createSessionService, hashSecret, type SessionService } from './session-service.ts';
import type { SessionStore } from './session-store.ts';

const idleMs = 30 * 60_000;
const absoluteMs = 12 * 3600_000;
const caller = {
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  username: 'alice',
  region: 'us-east-1',
  roles: ['user' as const],
};
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

interface StoreFixture {
  name: string;
  open(): Promise<{ store: SessionStore; raw(): Promise<string>; close(): Promise<void> }>;
}

const fixtures: StoreFixture[] = [
  ...testDialects.map((dialect): StoreFixture => ({
    name: `database (${dialect})`,
    async open() {
      const testDb: TestDatabase = await createTestDatabase(dialect);
      const database = createDatabase<SessionTables>({ url: testDb.url });
      await runMigrations(database.db, 'gateway', createSessionMigrations(database.dialect));
      return {
        store: createDatabaseSessionStore({ database, idleMs }),
        raw: async () =>
          JSON.stringify(await database.db.selectFrom('gateway_sessions').selectAll().execute()),
        close: async () => {
          await database.close();
          await testDb.drop();
        },
      };
    },
  })),
  {
    name: 'redis',
    async open() {
      const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      const prefix = `ashapp:test:${randomBytes(6).toString('hex')}:`;
      return {
        store: createRedisSessionStore({ redis, idleMs, prefix }),
        async raw() {
          const keys = await redis.keys(`${prefix}*`);
          const values = await Promise.all(
            keys.map(async (k) => {
              const type = await redis.type(k);
              if (type === 'hash') return JSON.stringify(await redis.hgetall(k));
              if (type === 'zset') return JSON.stringify(await redis.zrange(k, 0, -1));
              return redis.get(k);
            }),
          );
          return JSON.stringify({ keys, values });
        },
        async close() {
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length > 0) await redis.del(...keys);
          await redis.quit();
        },
      };
    },
  },
];

for (const fixture of fixtures) {
  describe(`sessions in ${fixture.name}`, () => {
    let opened: Awaited<ReturnType<StoreFixture['open']>>;
    let clock = 1_700_000_000_000;
    let sessions: SessionService;
    before(async () => {
      opened = await fixture.open();
      sessions = createSessionService({
        store: opened.store,
        cipher: createSecretBox(randomBytes(32)),
        idleMs,
        absoluteMs,
        now: () => clock,
      });
    });
    after(async () => opened.close());

    test('finds a session by its cookie and by its token, stores only hashes and sealed credentials', async () => {
      const { session, cookieValue, token } = await sessions.create(caller, credentials);
      assert.equal((await sessions.resolveCookie(cookieValue))?.id, session.id);
      assert.equal((await sessions.resolveToken(token))?.via, 'bearer');
      assert.deepEqual(sessions.readCredentials(session), credentials);
      const raw = await opened.raw();
      assert.ok(raw.includes(hashSecret(cookieValue)));
      for (const secret of [cookieValue, token, credentials.secretAccessKey, credentials.accessKeyId]) {
        assert.equal(raw.includes(secret), false, `stored in clear: ${secret.slice(0, 6)}…`);
      }
      assert.equal(await sessions.resolveCookie('not-a-cookie'), undefined);
      assert.equal(await sessions.resolveToken(cookieValue), undefined);
    });

    test('expires after the idle time without activity, and activity keeps it alive', async () => {
      const { cookieValue } = await sessions.create(caller, credentials);
      clock += idleMs - 60_000;
      assert.ok(await sessions.resolveCookie(cookieValue), 'still alive just before the idle limit');
      clock += idleMs - 60_000;
      assert.ok(await sessions.resolveCookie(cookieValue), 'the previous request counted as activity');
      clock += idleMs;
      assert.equal(await sessions.resolveCookie(cookieValue), undefined);
    });

    test('expires at the absolute limit even when active', async () => {
      const { cookieValue } = await sessions.create(caller, credentials);
      const end = clock + absoluteMs;
      while (clock + idleMs / 2 < end) {
        clock += idleMs / 2;
        assert.ok(await sessions.resolveCookie(cookieValue));
      }
      clock = end;
      assert.equal(await sessions.resolveCookie(cookieValue), undefined);
    });

    test('destroy removes the session, its token and its credentials', async () => {
      const { session, cookieValue, token } = await sessions.create(caller, credentials);
      await sessions.destroy(session);
      assert.equal(await sessions.resolveCookie(cookieValue), undefined);
      assert.equal(await sessions.resolveToken(token), undefined);
      assert.equal((await opened.raw()).includes(session.id), false);
    });

    test('a revoked token stops working while the cookie still does', async () => {
      const { session, cookieValue, token } = await sessions.create(caller, credentials);
      await sessions.revokeToken(session);
      assert.equal(await sessions.resolveToken(token), undefined);
      const viaCookie = await sessions.resolveCookie(cookieValue);
      assert.ok(viaCookie);
      // Activity after the revocation must not bring the token back.
      clock += idleMs / 2;
      await sessions.resolveCookie(cookieValue);
      assert.equal(await sessions.resolveToken(token), undefined);
    });

    test('counts the sessions past neither expiry (the ashapp_gateway_sessions gauge)', async () => {
      const base = await opened.store.countLive(clock);
      const first = await sessions.create(caller, credentials);
      await sessions.create(caller, credentials);
      assert.equal(await opened.store.countLive(clock), base + 2);
      await sessions.destroy(first.session);
      assert.equal(await opened.store.countLive(clock), base + 1);
      assert.equal(await opened.store.countLive(clock + idleMs), 0, 'every session idle past the limit');
    });
  });
}
