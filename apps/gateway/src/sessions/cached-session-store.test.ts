import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createCachedSessionStore } from './cached-session-store.ts';
import {
  createRedisSessionInvalidations,
  listenForSessionInvalidations,
} from './redis-session-invalidations.ts';
import { createRedisSessionStore } from './redis-session-store.ts';
import type { SessionRecord, SessionStore } from './session-store.ts';

const idleMs = 30 * 60_000;

function makeRecord(t: number): SessionRecord {
  return {
    id: `s-${randomBytes(6).toString('hex')}`,
    sessionHash: randomBytes(32).toString('hex'),
    tokenHash: randomBytes(32).toString('hex'),
    userId: 'arn:aws:iam::111122223333:user/alice',
    username: 'alice',
    account: '111122223333',
    region: 'us-east-1',
    roles: ['user'],
    credentials: 'sealed',
    createdAt: t,
    lastSeenAt: t,
    expiresAt: t + 12 * 3600_000,
  };
}

/** Counts the reads that reach the real store underneath. */
function countReads(store: SessionStore): SessionStore & { reads: number } {
  const counted = {
    ...store,
    reads: 0,
    async findBySessionHash(hash: string) {
      counted.reads += 1;
      return store.findBySessionHash(hash);
    },
    async findByTokenHash(hash: string) {
      counted.reads += 1;
      return store.findByTokenHash(hash);
    },
  };
  return counted;
}

describe('session cache over Redis, two replicas (Redis on 127.0.0.1:6379)', () => {
  const prefix = `ashapp:test:cache:${randomBytes(6).toString('hex')}:`;
  const channel = `${prefix}ended`;
  const connections: Redis[] = [];
  let clock = Date.now();
  const now = () => clock;

  async function connect(): Promise<Redis> {
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    connections.push(redis);
    await redis.connect();
    return redis;
  }

  async function replica(ttlMs = 5000) {
    const redis = await connect();
    const subscriber = await connect();
    const truth = countReads(createRedisSessionStore({ redis, idleMs, prefix }));
    const store = createCachedSessionStore({
      store: truth,
      ttlMs,
      idleMs,
      now,
      invalidations: createRedisSessionInvalidations({ redis, subscriber, channel }),
    });
    await listenForSessionInvalidations(subscriber, channel);
    return { store, truth, subscriber };
  }

  let a: Awaited<ReturnType<typeof replica>>;
  let b: Awaited<ReturnType<typeof replica>>;
  before(async () => {
    a = await replica();
    b = await replica();
  });
  after(async () => {
    const [first] = connections;
    if (first) {
      const keys = await first.keys(`${prefix}*`);
      if (keys.length > 0) await first.del(...keys);
    }
    for (const c of connections) c.disconnect();
  });

  /** Pub/sub is asynchronous: wait (bounded) until replica A has dropped the session. */
  async function waitUntilDropped(hash: string): Promise<SessionRecord | undefined> {
    for (let i = 0; i < 50; i += 1) {
      const found = await a.store.findBySessionHash(hash);
      if (!found) return undefined;
      await delay(20);
    }
    return a.store.findBySessionHash(hash);
  }

  test('repeated lookups of one session are answered from memory, and read again after the TTL', async () => {
    const record = makeRecord(clock);
    await a.store.create(record);
    const readsBefore = a.truth.reads;
    for (let i = 0; i < 20; i += 1) {
      assert.equal((await a.store.findBySessionHash(record.sessionHash))?.id, record.id);
      assert.equal((await a.store.findByTokenHash(record.tokenHash ?? ''))?.id, record.id);
    }
    assert.equal(a.truth.reads - readsBefore, 2, 'one store read per key');
    clock += 5000;
    await a.store.findBySessionHash(record.sessionHash);
    assert.equal(a.truth.reads - readsBefore, 3, 'an entry older than the TTL is read again');
  });

  test('signing out on replica B ends the session cached on replica A, cookie and token alike', async () => {
    const record = makeRecord(clock);
    await b.store.create(record);
    assert.ok(await a.store.findBySessionHash(record.sessionHash), 'A cached it');
    assert.ok(await a.store.findByTokenHash(record.tokenHash ?? ''));
    await b.store.destroy(record);
    assert.equal(await waitUntilDropped(record.sessionHash), undefined);
    assert.equal(await a.store.findByTokenHash(record.tokenHash ?? ''), undefined);
  });

  test('a token revoked on replica B stops working on replica A while the cookie still does', async () => {
    const record = makeRecord(clock);
    await a.store.create(record);
    assert.ok(await a.store.findByTokenHash(record.tokenHash ?? ''));
    await b.store.revokeToken(record);
    for (let i = 0; i < 50 && (await a.store.findByTokenHash(record.tokenHash ?? '')); i += 1) {
      await delay(20);
    }
    assert.equal(await a.store.findByTokenHash(record.tokenHash ?? ''), undefined);
    assert.equal((await a.store.findBySessionHash(record.sessionHash))?.tokenHash, null);
  });

  test('a replica whose subscription dropped forgets everything it cached when it reconnects', async () => {
    const record = makeRecord(clock);
    await a.store.create(record);
    assert.ok(await a.store.findBySessionHash(record.sessionHash));
    // The sign-out message is lost: the session is removed behind the cache's back.
    await a.truth.destroy(record);
    assert.ok(await a.store.findBySessionHash(record.sessionHash), 'still cached (nobody was told)');
    const ready = once(a.subscriber, 'ready');
    a.subscriber.disconnect(true);
    await ready;
    assert.equal(await a.store.findBySessionHash(record.sessionHash), undefined);
  });

  test('a session that looks idle-expired in the cache is read again (another replica saw activity)', async () => {
    // A replica whose entries outlive the idle time, so only the idle check can send it back to the store.
    const c = await replica(2 * idleMs);
    const record = makeRecord(clock);
    await c.store.create(record);
    assert.ok(await c.store.findBySessionHash(record.sessionHash));
    clock += idleMs - 1000;
    await b.store.touch(record, clock);
    clock += 2000;
    const readsBefore = c.truth.reads;
    const found = await c.store.findBySessionHash(record.sessionHash);
    assert.equal(c.truth.reads - readsBefore, 1, 'read from the store, not judged from the cache');
    assert.equal(found?.lastSeenAt, clock - 2000);
  });

  test('counts live sessions from the sorted set by expiry, without scanning keys', async () => {
    const base = await a.truth.countLive(clock);
    const one = makeRecord(clock);
    const two = makeRecord(clock);
    await a.store.create(one);
    await b.store.create(two);
    assert.equal(await a.truth.countLive(clock), base + 2);
    await b.store.destroy(two);
    assert.equal(await a.truth.countLive(clock), base + 1);
    // Past the idle time every session here has expired (none was touched since).
    assert.equal(await a.truth.countLive(clock + idleMs + 1), 0);
  });
});
