import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createMemoryRateLimiter } from './memory-rate-limiter.ts';
import { createRedisRateLimiter } from './redis-rate-limiter.ts';

describe('memory rate limiter', () => {
  test('allows max requests per window, then refuses with the seconds left, then opens again', async () => {
    let now = 1_000_000;
    const limiter = createMemoryRateLimiter({ now: () => now });
    for (let i = 0; i < 3; i += 1) assert.equal((await limiter.hit('ip:a', 3, 60_000)).allowed, true);
    const refused = await limiter.hit('ip:a', 3, 60_000);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 60);
    assert.equal((await limiter.hit('ip:b', 3, 60_000)).allowed, true, 'keys count separately');
    now += 45_500;
    assert.equal((await limiter.hit('ip:a', 3, 60_000)).retryAfterSeconds, 15);
    now += 15_000;
    assert.equal((await limiter.hit('ip:a', 3, 60_000)).allowed, true);
  });

  test('stays bounded under a flood of distinct keys', async () => {
    const limiter = createMemoryRateLimiter({ maxKeys: 100 });
    for (let i = 0; i < 1000; i += 1) await limiter.hit(`ip:${i}`, 5, 60_000);
    // Nothing to observe from outside but that it still answers correctly for a new key.
    assert.equal((await limiter.hit('ip:new', 1, 60_000)).allowed, true);
    assert.equal((await limiter.hit('ip:new', 1, 60_000)).allowed, false);
  });
});

describe('redis rate limiter (Redis on 127.0.0.1:6379)', () => {
  let redis: Redis;
  const prefix = `ashapp:test:rl:${randomBytes(6).toString('hex')}:`;
  before(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('shares counters between limiters (replicas) and resets after the window', async () => {
    const a = createRedisRateLimiter({ redis, prefix });
    const b = createRedisRateLimiter({ redis, prefix });
    assert.equal((await a.hit('user:x', 2, 400)).allowed, true);
    assert.equal((await b.hit('user:x', 2, 400)).allowed, true);
    const refused = await a.hit('user:x', 2, 400);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 1);
    assert.ok((await redis.pttl(`${prefix}user:x`)) > 0, 'the counter expires');
    await delay(450);
    assert.equal((await b.hit('user:x', 2, 400)).allowed, true);
  });
});
