import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { startTestGateway, type TestGateway } from '../../test/harness.ts';
import { registerRateLimits } from './rate-limits.ts';

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

describe('rate limits (@fastify/rate-limit) in one gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: { RATE_LIMIT_IP_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '1' } });
  });
  after(async () => gw.close());

  test('allows max requests per window, then 429 with Retry-After in the error shape, then opens again', async () => {
    for (let i = 0; i < 3; i += 1) {
      assert.notEqual((await gw.app.inject({ method: 'GET', url: '/api/user' })).statusCode, 429);
    }
    const refused = await gw.app.inject({ method: 'GET', url: '/api/user' });
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '1');
    const body = refused.json<ErrorBody>();
    assert.equal(body.error.code, 'RATE_LIMITED');
    assert.match(body.error.message, /from this address/);
    assert.ok(body.error.requestId);
    assert.ok(refused.headers['content-security-policy'], 'a refusal carries the security headers');
    // Another address has its own counter.
    const other = await gw.app.inject({ method: 'GET', url: '/api/user', remoteAddress: '127.0.0.9' });
    assert.notEqual(other.statusCode, 429);
    await delay(1100);
    assert.notEqual((await gw.app.inject({ method: 'GET', url: '/api/user' })).statusCode, 429);
  });
});

describe('rate limits shared by two gateways through Redis (127.0.0.1:6379)', () => {
  let redis: Redis;
  const gateways: TestGateway[] = [];
  const keyPrefix = `ashapp:test:rl:${randomBytes(6).toString('hex')}:`;
  before(async () => {
    // A key prefix of the test's own: other suites count 127.0.0.1 in the same Redis.
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1, keyPrefix });
    await redis.connect();
    for (let i = 0; i < 2; i += 1) {
      gateways.push(await startTestGateway({ redis, env: { RATE_LIMIT_IP_MAX: '4' } }));
    }
  });
  after(async () => {
    for (const g of gateways) await g.close();
    const keys = await redis.keys(`${keyPrefix}*`);
    // KEYS answers full names; DEL through a prefixed client would prefix them twice.
    if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(keyPrefix.length)));
    await redis.quit();
  });

  test('requests through either gateway count against one limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const gw = gateways[i % 2];
      assert.ok(gw);
      statuses.push((await gw.app.inject({ method: 'GET', url: '/api/user' })).statusCode);
    }
    assert.deepEqual(
      statuses.map((s) => s === 429),
      [false, false, false, false, true, true],
    );
    const ttl = await redis.pttl('ashapp:gateway:rl:ip:127.0.0.1');
    assert.ok(ttl > 0 && ttl <= 60_000, `the counter expires with its window (${ttl} ms)`);
  });
});

describe('rate limits without Redis', () => {
  test('stay bounded under a flood of distinct addresses and still count a new one', async () => {
    const app = Fastify();
    const limits = await registerRateLimits(app, {
      rules: {
        ip: { max: 1, windowMs: 60_000 },
        login: { max: 1, windowMs: 60_000 },
        user: { max: 1, windowMs: 60_000 },
      },
      maxKeys: 100,
    });
    app.get('/', async (request) => {
      await limits.enforce(request, 'ip');
      return { ok: true };
    });
    try {
      for (let i = 0; i < 1000; i += 1) {
        await app.inject({ method: 'GET', url: '/', remoteAddress: `10.0.${i >> 8}.${i & 255}` });
      }
      assert.equal((await app.inject({ method: 'GET', url: '/', remoteAddress: '10.9.9.9' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/', remoteAddress: '10.9.9.9' })).statusCode, 429);
    } finally {
      await app.close();
    }
  });
});
