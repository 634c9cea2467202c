import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createServiceClient, identityHeader, verifyIdentity } from '@ashapp/platform';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { createSessionEndNotifier } from './session-end-notifier.ts';
import type { ActiveSession } from './session-service.ts';

const secret = 'n'.repeat(43);
const session = {
  id: 'sess-1',
  userId: 'arn:aws:iam::1:user/a',
  roles: ['user'],
} as unknown as ActiveSession;
let server: Server;
let url: string;
const seen: Array<{ path: string | undefined; sessionId: string | undefined; userId: string }> = [];

before(async () => {
  server = createServer((req, res) => {
    const who = verifyIdentity(req.headers[identityHeader] as string, secret);
    seen.push({ path: req.url, sessionId: who.sessionId, userId: who.userId });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('tells the deployer which session ended, as that user and session', async () => {
  const { log } = createCapturingLogger();
  const deployer = createServiceClient({ name: 'deployer', baseUrl: url, identitySecret: secret, log });
  await createSessionEndNotifier({ deployer, log })(session, 'req-9');
  assert.deepEqual(seen, [
    { path: '/deployer-api/docker-logout', sessionId: 'sess-1', userId: session.userId },
  ]);
});

test('a deployer that is down does not fail the sign-out, and says so in the log', async () => {
  const { log, lines } = createCapturingLogger();
  const deployer = createServiceClient({
    name: 'deployer',
    baseUrl: 'http://127.0.0.1:9',
    identitySecret: secret,
    log,
    retries: 0,
  });
  await createSessionEndNotifier({ deployer, log })(session, 'req-10');
  assert.ok(lines.some((l) => l.includes('not told of the sign-out')));
});

test('a deployer that refuses the notice is logged with its status, and the sign-out still succeeds', async () => {
  const refusing = createServer((_req, res) => {
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end('{"error":{"code":"FORBIDDEN","message":"no"}}');
  });
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  try {
    const { log, lines } = createCapturingLogger();
    const deployer = createServiceClient({
      name: 'deployer',
      baseUrl: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`,
      identitySecret: secret,
      log,
      retries: 0,
    });
    await createSessionEndNotifier({ deployer, log })(session, 'req-11');
    const refused = lines.find((l) => l.includes('refused the sign-out notice'));
    assert.ok(refused, 'the refusal is logged');
    assert.match(refused, /"status":403/);
  } finally {
    await new Promise<void>((resolve) => refusing.close(() => resolve()));
  }
});
