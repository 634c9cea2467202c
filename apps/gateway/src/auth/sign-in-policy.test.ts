import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '@ashapp/platform';
import { startTestGateway, type TestGateway } from '../../test/harness.ts';
import { testUsers } from '@ashapp/aws-stand-in';
import { readGatewayConfig } from '../config.ts';
import { createSignInPolicy, isLoopbackHost } from './sign-in-policy.ts';

const body = (user: (typeof testUsers)[keyof typeof testUsers]) => ({
  access_key: user.accessKeyId,
  secret_key: user.secretAccessKey,
  region: 'us-east-1',
});

describe('sign-in allow-list: configuration', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-gw-policy-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('refuses to start on a non-loopback address without an allow-list, naming the variables', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'gateway.internal']) {
      assert.throws(
        () => readGatewayConfig({ ASHAPP_DATA_DIR: dataDir, HOST: host }),
        (err: unknown) =>
          err instanceof ConfigError &&
          /SIGN_IN_ALLOWED_ACCOUNTS/.test(err.message) &&
          /SIGN_IN_ALLOWED_ARNS/.test(err.message) &&
          err.message.includes(host),
      );
    }
  });

  test('starts on a non-loopback address with an account or ARN allow-list', () => {
    const byAccount = readGatewayConfig({
      ASHAPP_DATA_DIR: dataDir,
      HOST: '0.0.0.0',
      SIGN_IN_ALLOWED_ACCOUNTS: '111122223333, 444455556666',
    });
    assert.deepEqual(byAccount.signInAllowedAccounts, ['111122223333', '444455556666']);
    const byArn = readGatewayConfig({
      ASHAPP_DATA_DIR: dataDir,
      HOST: '0.0.0.0',
      SIGN_IN_ALLOWED_ARNS: 'arn:aws:iam::111122223333:user/team/*',
    });
    assert.deepEqual(byArn.signInAllowedArns, ['arn:aws:iam::111122223333:user/team/*']);
  });

  test('loopback listen addresses may run without an allow-list', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2'])
      assert.ok(isLoopbackHost(host));
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '128.0.0.1', 'example.com']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
    assert.ok(readGatewayConfig({ ASHAPP_DATA_DIR: dataDir }).signInAllowedAccounts.length === 0);
  });

  test('rejects malformed entries with a message naming the entry', () => {
    assert.throws(
      () => readGatewayConfig({ ASHAPP_DATA_DIR: dataDir, SIGN_IN_ALLOWED_ACCOUNTS: '1111-2222-3333' }),
      /"1111-2222-3333" is not a 12-digit AWS account id/,
    );
    assert.throws(
      () => readGatewayConfig({ ASHAPP_DATA_DIR: dataDir, SIGN_IN_ALLOWED_ARNS: 'alice' }),
      /"alice" is not an IAM\/STS ARN pattern/,
    );
  });

  test('ARN patterns match whole ARNs only; dots and other regex characters are literal', () => {
    const policy = createSignInPolicy({
      accounts: [],
      arnPatterns: [
        'arn:aws:iam::111122223333:user/team/*',
        'arn:aws:sts::999900001111:assumed-role/Ops.Admin/*',
      ],
    });
    assert.ok(policy.allows({ arn: 'arn:aws:iam::111122223333:user/team/alice', account: '111122223333' }));
    assert.equal(
      policy.allows({ arn: 'arn:aws:iam::111122223333:user/other/eve', account: '111122223333' }),
      false,
    );
    assert.equal(
      policy.allows({ arn: 'x-arn:aws:iam::111122223333:user/team/alice', account: '111122223333' }),
      false,
    );
    assert.ok(
      policy.allows({ arn: 'arn:aws:sts::999900001111:assumed-role/Ops.Admin/s1', account: '999900001111' }),
    );
    assert.equal(
      policy.allows({ arn: 'arn:aws:sts::999900001111:assumed-role/OpsXAdmin/s1', account: '999900001111' }),
      false,
    );
  });
});

describe('sign-in allow-list: sign-in (STS stand-in)', () => {
  let gw: TestGateway;
  before(async () => {
    // alice by ARN pattern, bob by account; the admin (ADMIN_ARNS in the harness) is always allowed.
    gw = await startTestGateway({
      env: {
        SIGN_IN_ALLOWED_ARNS: 'arn:aws:iam::111122223333:user/team/*',
        SIGN_IN_ALLOWED_ACCOUNTS: '444455556666',
      },
    });
  });
  after(async () => gw.close());

  test('lets listed accounts, ARN patterns and named admins sign in', async () => {
    for (const user of [testUsers.alice, testUsers.bob, testUsers.admin]) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/login', payload: body(user) });
      assert.equal(res.statusCode, 200, `${user.arn}: ${res.body}`);
    }
  });

  test('refuses a stranger whose keys STS accepts: 403, no session cookie, an audit event', async () => {
    const stranger = await startTestGateway({ env: { SIGN_IN_ALLOWED_ACCOUNTS: '444455556666' } });
    try {
      const res = await stranger.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: body(testUsers.alice),
      });
      assert.equal(res.statusCode, 403);
      const error = (res.json() as { error: { code: string; message: string; requestId: string } }).error;
      assert.equal(error.code, 'NOT_ALLOWED');
      assert.match(error.message, /may not sign in here/);
      assert.match(error.message, /allow-list/);
      const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
      assert.ok(!cookies.some((c) => c.startsWith('ashapp_session=')));
      const events = await stranger.auditEvents();
      const refused = events.find((e) => e.action_type === 'login_refused');
      assert.ok(refused, 'a login_refused audit event');
      assert.equal(refused.user_id, testUsers.alice.arn);
      assert.equal(events.filter((e) => e.action_type === 'login').length, 0);
      // The stranger's key id is never stored whole.
      assert.ok(!JSON.stringify(events).includes(testUsers.alice.accessKeyId));
      const user = await stranger.app.inject({ method: 'GET', url: '/api/user' });
      assert.equal(user.statusCode, 401);
    } finally {
      await stranger.close();
    }
  });

  test('GET /api/auth/options says whether any account may sign in', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/auth/options' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { any_account: false });
    const open = await startTestGateway();
    try {
      const openRes = await open.app.inject({ method: 'GET', url: '/api/auth/options' });
      assert.deepEqual(openRes.json(), { any_account: true });
      assert.ok(open.logLines.some((l) => /sign-in allow-list not set/.test(l) && /"level":40/.test(l)));
      assert.ok(!gw.logLines.some((l) => /sign-in allow-list not set/.test(l)));
    } finally {
      await open.close();
    }
  });
});
