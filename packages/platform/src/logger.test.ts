import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createServiceApp } from './server.ts';
import { createCapturingLogger } from './testing/logs.ts';

const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('log masking', () => {
  test('masks secrets in messages, in known fields and in child loggers', () => {
    const { log, lines } = createCapturingLogger('masking');
    log.warn(`could not reach postgres://app:hunter2x@db/x with aws_secret_access_key=${secretKey}`);
    log.child({ component: 'c' }).info({ session_token: 'tok-123456', password: 'p4ssw0rd' }, 'signed in');
    const text = lines.join('\n');
    for (const leaked of ['hunter2x', secretKey, 'tok-123456', 'p4ssw0rd']) {
      assert.ok(!text.includes(leaked), `${leaked} in ${text}`);
    }
    assert.match(text, /postgres:\/\/app:\*\*\*@db\/x/);
  });

  test("masks secrets in a logged request's URL (query tokens, presigned URLs)", async () => {
    const { log, lines } = createCapturingLogger('masking');
    const app = await createServiceApp({ name: 'masking', log, identitySecret: 'x'.repeat(32) });
    try {
      await app.inject({ method: 'GET', url: '/nothing?api_token=s3cr3tv4lue&X-Amz-Signature=abcdef0123' });
      const text = lines.join('\n');
      assert.ok(text.includes('"url":"/nothing?api_token=***'), text);
      assert.ok(!text.includes('s3cr3tv4lue') && !text.includes('abcdef0123'), text);
    } finally {
      await app.close();
    }
  });
});

describe('access log', () => {
  test('one line per request with its id, route, status and time; no identity or other header in it', async () => {
    const { log, lines } = createCapturingLogger('access');
    const app = await createServiceApp({ name: 'access', log, identitySecret: 'x'.repeat(32) });
    app.get('/things/:id', async () => ({ ok: true }));
    try {
      const res = await app.inject({
        url: '/things/7?token=s3cr3tv4lue',
        headers: { 'x-request-id': 'req-access-1', 'x-ashapp-identity': 'not-a-valid-assertion' },
      });
      assert.equal(res.statusCode, 401);
      const mine = lines.filter((l) => l.includes('req-access-1'));
      assert.equal(mine.length, 1, lines.join('\n'));
      const line = JSON.parse(mine[0] ?? '{}') as Record<string, unknown>;
      assert.equal(line.msg, 'request completed');
      assert.equal(line.service, 'access');
      assert.equal(line.route, '/things/:id');
      assert.equal(line.statusCode, 401);
      assert.equal(line.level, 40);
      assert.equal(typeof line.responseTime, 'number');
      assert.ok(!mine[0]?.includes('s3cr3tv4lue') && !mine[0]?.includes('not-a-valid-assertion'), mine[0]);
    } finally {
      await app.close();
    }
  });

  test('with a sample rate, logs that share of successful requests and every failed one', async () => {
    const { log, lines } = createCapturingLogger('sampled');
    const app = await createServiceApp({
      name: 'sampled',
      log,
      identitySecret: 'x'.repeat(32),
      accessLogSampleRate: 0.25,
    });
    app.get('/ok', { config: { public: true } }, async () => ({ ok: true }));
    try {
      for (let i = 0; i < 40; i += 1) await app.inject({ url: '/ok' });
      for (let i = 0; i < 3; i += 1) await app.inject({ url: '/missing' });
      const access = lines.filter((l) => l.includes('"msg":"request completed"'));
      assert.equal(access.filter((l) => l.includes('"statusCode":200')).length, 10);
      assert.equal(access.filter((l) => l.includes('"statusCode":404')).length, 3);
    } finally {
      await app.close();
    }
  });
});
