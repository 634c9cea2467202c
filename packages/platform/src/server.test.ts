import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Type } from 'typebox';
import { ConflictError, InputError } from './errors.ts';
import { identityHeader, signIdentity } from './identity.ts';
import { createServiceApp, requireIdentity, type ServiceApp } from './server.ts';
import { createCapturingLogger } from './testing/logs.ts';

const secret = 'x'.repeat(40);
const identity = {
  userId: 'arn:aws:iam::123456789012:user/alice',
  roles: ['user'] as const,
  requestId: 'r-1',
};

describe('service app kit', () => {
  let app: ServiceApp;
  const { log, lines } = createCapturingLogger();
  let ready = true;

  before(async () => {
    app = await createServiceApp({
      name: 'kit-test',
      log,
      identitySecret: secret,
      bodyLimit: 1024,
      readinessChecks: [
        {
          name: 'database',
          check: async () => {
            if (!ready) throw new Error('database down');
          },
        },
      ],
    });
    app.post(
      '/echo',
      {
        schema: {
          body: Type.Object({ name: Type.String({ minLength: 1 }), n: Type.Optional(Type.Integer()) }),
        },
      },
      async (request) => ({
        name: request.body.name,
        n: request.body.n ?? null,
        user: requireIdentity(request).userId,
      }),
    );
    app.get(
      '/items',
      {
        schema: {
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        },
      },
      async (request) => ({ limit: request.query.limit }),
    );
    app.get('/boom', async () => {
      throw new Error('database password is hunter2');
    });
    app.get('/conflict', async () => {
      throw new ConflictError('already exists', { id: 'x' });
    });
    app.get('/input', async () => {
      throw new InputError('bad thing', { field: 'thing' });
    });
    await app.ready();
  });
  after(() => app.close());

  const auth = () => ({ [identityHeader]: signIdentity({ ...identity, roles: ['user'] }, secret) });

  test('answers 401 without an identity assertion on a business route', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'a' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'NOT_AUTHENTICATED');
  });

  test('answers 401 for an assertion signed with another key', async () => {
    const forged = signIdentity({ ...identity, roles: ['admin'] }, 'y'.repeat(40));
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { name: 'a' },
      headers: { [identityHeader]: forged },
    });
    assert.equal(res.statusCode, 401);
  });

  test('answers 401 for an expired assertion', async () => {
    const old = signIdentity({ ...identity, roles: ['user'] }, secret, { now: Date.now() - 10 * 60_000 });
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { name: 'a' },
      headers: { [identityHeader]: old },
    });
    assert.equal(res.statusCode, 401);
    assert.match(res.json().error.message, /expired/);
  });

  test('passes the verified identity to the route', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { name: 'a', n: 2 },
      headers: auth(),
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { name: 'a', n: 2, user: identity.userId });
  });

  test('answers 400 naming the field when a body field has the wrong type', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { name: 5 }, headers: auth() });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'INPUT_INVALID');
    assert.match(res.json().error.message, /body\.name/);
  });

  test('answers 400 when a required field is missing', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', payload: {}, headers: auth() });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /name/);
  });

  test('answers 400 for malformed JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"name":',
      headers: { ...auth(), 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'INPUT_INVALID');
  });

  test('answers 413 for an oversized body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { name: 'a'.repeat(5000) },
      headers: auth(),
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('answers 413 to an upload still being sent, and the client reads it instead of a reset', async () => {
    // A server that closes at once on a body it refuses makes the kernel reset the connection while the
    // client still writes; the client then never reads the 413 (the fuzzer's "connection reset instead of
    // 413"). Over a real socket: 2 MB against a 1 KB limit, still being sent after the answer, five times.
    // (The reset is a race this test did not reproduce on an idle machine; it holds the behaviour.)
    const server = await createServiceApp({
      name: 'kit-test-413',
      log,
      identitySecret: secret,
      bodyLimit: 1024,
    });
    server.post('/echo', async () => ({ ok: true }));
    await server.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.server.address() as AddressInfo;
    try {
      for (let i = 0; i < 5; i += 1) {
        // The upload goes on after the answer has come: 32 chunks of 64 KB, 10 ms apart.
        let sent = 0;
        const upload = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (sent === 32) return controller.close();
            sent += 1;
            await new Promise((resolve) => setTimeout(resolve, 10));
            controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
          },
        });
        const res = await fetch(`http://127.0.0.1:${port}/echo`, {
          method: 'POST',
          headers: {
            ...auth(),
            'content-type': 'application/json',
            'content-length': String(2 * 1024 * 1024),
          },
          body: upload,
          duplex: 'half',
        } as RequestInit);
        const status = res.status;
        const body = await res.text();
        assert.equal(status, 413, `attempt ${i + 1}`);
        assert.equal(JSON.parse(body).error.code, 'PAYLOAD_TOO_LARGE');
      }
    } finally {
      await server.close();
    }
  });

  test('converts and defaults querystring values and rejects out-of-range ones', async () => {
    assert.deepEqual((await app.inject({ url: '/items', headers: auth() })).json(), { limit: 50 });
    assert.deepEqual((await app.inject({ url: '/items?limit=7', headers: auth() })).json(), { limit: 7 });
    const res = await app.inject({ url: '/items?limit=501', headers: auth() });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /querystring\.limit/);
  });

  test('maps typed errors to their status with the message and details', async () => {
    const res = await app.inject({ url: '/conflict', headers: auth() });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json().error.details, { id: 'x' });
    assert.equal((await app.inject({ url: '/input', headers: auth() })).statusCode, 400);
  });

  test('hides the message of an unexpected error and logs it', async () => {
    const res = await app.inject({ url: '/boom', headers: { ...auth(), 'x-request-id': 'req-boom' } });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), {
      error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-boom' },
    });
    assert.ok(!res.body.includes('hunter2'));
    assert.ok(lines.some((l) => l.includes('req-boom') && l.includes('"level":50')));
  });

  test('answers 404 in the same body shape for unknown routes', async () => {
    const res = await app.inject({ url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'NOT_FOUND');
  });

  test('echoes a well-formed request id and replaces a malformed one', async () => {
    const good = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(good.headers['x-request-id'], 'abc-123');
    const bad = await app.inject({ url: '/health', headers: { 'x-request-id': 'a b\nc' } });
    assert.notEqual(bad.headers['x-request-id'], 'a b\nc');
  });

  test('serves health, readiness that follows its checks, metrics and OpenAPI without identity', async () => {
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
    ready = false;
    const notReady = await app.inject({ url: '/ready' });
    assert.equal(notReady.statusCode, 503);
    assert.match(notReady.body, /database down/);
    ready = true;
    const metrics = await app.inject({ url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /http_request_duration_seconds_bucket\{.*route="\/echo"/);
    assert.match(metrics.body, /process_cpu_user_seconds_total/);
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/echo']);
    assert.equal(doc.paths['/health'], undefined);
  });
});
