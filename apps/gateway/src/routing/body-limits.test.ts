import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createServiceApp, requireIdentity, type ServiceApp } from '@ashapp/platform';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { startTestGateway, type TestGateway } from '../../test/harness.ts';
import { testUsers } from '@ashapp/aws-stand-in';

/**
 * A service built with the platform kit and a given body limit, like the assistant (256 KiB) and the
 * deployer (608 KiB): it answers 413 itself when a body is too large, which is what raced the gateway.
 */
async function startKitService(name: string, bodyLimit: number, secret: string) {
  const app: ServiceApp = await createServiceApp({
    name,
    log: createCapturingLogger(name).log,
    identitySecret: secret,
    bodyLimit,
  });
  let largestSeen = 0;
  app.post('/*', async (request) => {
    requireIdentity(request);
    largestSeen = Math.max(largestSeen, Number(request.headers['content-length'] ?? 0));
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    largestSeen: () => largestSeen,
    close: () => app.close(),
  };
}

describe('bodies over a route limit get 413 from the gateway, every time (issue 8)', () => {
  let gw: TestGateway;
  let base: string;
  let token: string;
  let assistant: Awaited<ReturnType<typeof startKitService>>;
  let deployer: Awaited<ReturnType<typeof startKitService>>;
  const secret = 'b'.repeat(43);

  before(async () => {
    assistant = await startKitService('assistant', 256 * 1024, secret);
    deployer = await startKitService('deployer', 608 * 1024, secret);
    gw = await startTestGateway({
      env: { INTERNAL_AUTH_SECRET: secret, RATE_LIMIT_USER_MAX: '10000', RATE_LIMIT_IP_MAX: '10000' },
      serviceUrls: { assistant: assistant.url, deployer: deployer.url },
    });
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    token = (await gw.login(testUsers.alice)).token;
  });
  after(async () => {
    await gw?.close();
    await assistant?.close();
    await deployer?.close();
  });

  async function post(path: string, body: string | Readable) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : (Readable.toWeb(body) as ReadableStream),
      ...(typeof body === 'string' ? {} : { duplex: 'half' }),
    } as RequestInit);
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  }

  test('20 × a 400 KB /api/ask and 20 × a 1.5 MB /deployer-api/validate: 40 × 413, no 503', async () => {
    const ask = JSON.stringify({ query: 'x'.repeat(400 * 1024) });
    const validate = JSON.stringify({ code: 'x'.repeat(1536 * 1024) });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (const [path, body] of [
        ['/api/ask', ask],
        ['/deployer-api/validate', validate],
      ] as const) {
        const res = await post(path, body);
        statuses.push(res.status);
        assert.equal(res.body.error?.code, 'PAYLOAD_TOO_LARGE', JSON.stringify(res.body));
      }
    }
    assert.deepEqual(statuses, Array(40).fill(413));
    assert.equal(assistant.largestSeen(), 0, 'nothing oversized reached the assistant');
    assert.equal(deployer.largestSeen(), 0, 'nothing oversized reached the deployer');
  });

  test('also without a Content-Length (chunked upload): 413 before the service sees the limit', async () => {
    for (let i = 0; i < 5; i++) {
      const chunks = Array.from({ length: 40 }, () => Buffer.alloc(16 * 1024, 0x61));
      const res = await post('/api/ask', Readable.from(chunks));
      assert.equal(res.status, 413);
      assert.equal(res.body.error?.code, 'PAYLOAD_TOO_LARGE');
    }
  });

  test('bodies within the limit still go through', async () => {
    const res = await post('/api/ask', JSON.stringify({ query: 'y'.repeat(200 * 1024) }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const validate = await post('/deployer-api/validate', JSON.stringify({ code: 'z'.repeat(500 * 1024) }));
    assert.equal(validate.status, 200);
  });

  test('a service that answers before reading the upload: the client reads the answer, no reset', async () => {
    // The kit refuses an unknown content type with 415 without reading the body.
    const body = 'q'.repeat(600 * 1024);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${base}/deployer-api/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/x-unknown' },
        body,
      });
      assert.equal(res.status, 415);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code !== undefined, true);
    }
  });

  test('a malformed percent escape or an encoded dot segment in a forwarded URL is a 4xx, never a 5xx', async () => {
    for (const path of ['/services/assistant/x%E0%A4%A', '/services/assistant/a%2f..%2fb']) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      const json = (await res.json()) as { error: { code: string; requestId: string } };
      assert.ok(json.error.code, path);
      assert.ok(json.error.requestId, path);
    }
  });
});
