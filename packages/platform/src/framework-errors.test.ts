import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Type } from 'typebox';
import { identityHeader, signIdentity } from './identity.ts';
import { createServiceApp, type ServiceApp } from './server.ts';
import { createCapturingLogger } from './testing/logs.ts';

const secret = 'f'.repeat(40);

interface ErrorShape {
  error: { code: string; message: string; requestId: string };
}

function assertPlatformShape(body: unknown, code: string): void {
  const error = (body as ErrorShape).error;
  assert.ok(error, `platform error body expected, got ${JSON.stringify(body)}`);
  assert.equal(error.code, code, JSON.stringify(body));
  assert.equal(typeof error.message, 'string');
  assert.ok(error.requestId.length > 0);
  assert.equal((body as Record<string, unknown>).statusCode, undefined, "not Fastify's own shape");
}

/** Sends raw bytes and returns the status and JSON body of the answer. */
function sendRaw(port: number, raw: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      try {
        resolve({ status, body: JSON.parse(body) });
      } catch (err) {
        reject(new Error(`not JSON: ${text}`, { cause: err }));
      }
    });
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe("framework-level errors use the platform's error shape (issue 8)", () => {
  let app: ServiceApp;
  let base: string;
  let port: number;
  const auth = {
    [identityHeader]: signIdentity({ userId: 'u', roles: ['user'], requestId: 'r' }, secret),
  };

  before(async () => {
    app = await createServiceApp({
      name: 'errors-test',
      log: createCapturingLogger().log,
      identitySecret: secret,
    });
    app.get('/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    app.post('/things', { schema: { body: Type.Object({ name: Type.String() }) } }, async () => ({ ok: 1 }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => app.close());

  test('414 for a path parameter over the limit', async () => {
    const res = await fetch(`${base}/things/${'a'.repeat(500)}`, { headers: auth });
    assert.equal(res.status, 414);
    assertPlatformShape(await res.json(), 'URI_TOO_LONG');
    assert.ok(res.headers.get('x-request-id'));
  });

  test('400 for a URL whose path does not decode', async () => {
    const res = await fetch(`${base}/things/%E0%A4%A`, { headers: auth });
    assert.equal(res.status, 400);
    assertPlatformShape(await res.json(), 'INPUT_INVALID');
  });

  test('404 for an unknown route, 400 for bad JSON, 415 for a wrong content type', async () => {
    const missing = await fetch(`${base}/nowhere`, { headers: auth });
    assert.equal(missing.status, 404);
    assertPlatformShape(await missing.json(), 'NOT_FOUND');
    const badJson = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    assert.equal(badJson.status, 400);
    assertPlatformShape(await badJson.json(), 'INPUT_INVALID');
    const wrongType = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-yaml' },
      body: 'name: x',
    });
    assert.equal(wrongType.status, 415);
    assertPlatformShape(await wrongType.json(), 'UNSUPPORTED_MEDIA_TYPE');
    const wrongMethod = await fetch(`${base}/things/1`, { method: 'PROPFIND', headers: auth });
    assert.ok(wrongMethod.status >= 400 && wrongMethod.status < 500);
    assertPlatformShape(
      await wrongMethod.json(),
      wrongMethod.status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED',
    );
  });

  test('400 for bytes that are not HTTP, 431 for headers over the limit (answered on the socket)', async () => {
    const garbage = await sendRaw(port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.equal(garbage.status, 400);
    assertPlatformShape(garbage.body, 'INPUT_INVALID');
    const huge = await sendRaw(
      port,
      `GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.equal(huge.status, 431);
    assertPlatformShape(huge.body, 'HEADERS_TOO_LARGE');
    const longUrl = await sendRaw(port, `GET /things/${'b'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.ok([414, 431].includes(longUrl.status), String(longUrl.status));
    assertPlatformShape(longUrl.body, longUrl.status === 414 ? 'URI_TOO_LONG' : 'HEADERS_TOO_LARGE');
  });
});
