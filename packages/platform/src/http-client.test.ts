import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UnavailableError } from './errors.ts';
import { createServiceClient } from './http-client.ts';
import { identityHeader, verifyIdentity } from './identity.ts';
import { createCapturingLogger } from './testing/logs.ts';

const secret = 'c'.repeat(40);

describe('service client', () => {
  let server: Server;
  let baseUrl: string;
  let failuresLeft = 0;
  let calls = 0;
  let lastIdentity: string | undefined;

  before(async () => {
    server = createServer((req, res) => {
      calls += 1;
      lastIdentity = req.headers[identityHeader] as string | undefined;
      if (req.url === '/slow') {
        const timer = setTimeout(() => res.end('late'), 2000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(503).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, url: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const { log } = createCapturingLogger();

  test('signs the identity and sends query parameters', async () => {
    const client = createServiceClient({ name: 't', baseUrl, identitySecret: secret, log });
    const res = await client.request<{ url: string }>({
      method: 'GET',
      path: '/x',
      query: { a: 1, b: undefined },
      identity: { userId: 'u', roles: ['user'], requestId: 'r' },
    });
    assert.equal(res.body.url, '/x?a=1');
    assert.equal(verifyIdentity(lastIdentity, secret).userId, 'u');
  });

  test('retries idempotent calls on 503 with backoff, but not POSTs', async () => {
    const client = createServiceClient({
      name: 't',
      baseUrl,
      identitySecret: secret,
      log,
      retries: 2,
      backoffMs: 5,
    });
    failuresLeft = 2;
    calls = 0;
    assert.equal((await client.request({ method: 'GET', path: '/r' })).status, 200);
    assert.equal(calls, 3);
    failuresLeft = 1;
    calls = 0;
    assert.equal((await client.request({ method: 'POST', path: '/p', body: {} })).status, 503);
    assert.equal(calls, 1);
    failuresLeft = 0;
  });

  test('times out a slow call and reports the service unavailable', async () => {
    const client = createServiceClient({
      name: 'slowpoke',
      baseUrl,
      identitySecret: secret,
      log,
      timeoutMs: 100,
      retries: 0,
    });
    await assert.rejects(client.request({ method: 'GET', path: '/slow' }), (err: Error) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(err.message, /slowpoke is unavailable/);
      return true;
    });
  });

  test('opens the circuit after repeated failures, fails fast, then closes after a good trial', async () => {
    const client = createServiceClient({
      name: 'down',
      baseUrl: 'http://127.0.0.1:9',
      identitySecret: secret,
      log,
      retries: 0,
      breaker: { failureThreshold: 2, openMs: 150 },
    });
    for (let i = 0; i < 2; i += 1)
      await assert.rejects(client.request({ method: 'GET', path: '/' }), UnavailableError);
    assert.equal(client.state(), 'open');
    const started = Date.now();
    await assert.rejects(client.request({ method: 'GET', path: '/' }), /unavailable/);
    assert.ok(Date.now() - started < 50, 'fails fast while open');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(client.state(), 'half-open');
    const healthy = createServiceClient({
      name: 'up',
      baseUrl,
      identitySecret: secret,
      log,
      breaker: { failureThreshold: 1, openMs: 10 },
    });
    assert.equal((await healthy.request({ method: 'GET', path: '/' })).status, 200);
    assert.equal(healthy.state(), 'closed');
  });
});
