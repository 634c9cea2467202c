import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getFreePort } from '@ashapp/platform/testing';
import { readSetCookies, startTestGateway, type TestGateway } from '../../test/harness.ts';
import { testUsers } from '@ashapp/aws-stand-in';

const alice = testUsers.alice;
const loginBody = { access_key: alice.accessKeyId, secret_key: alice.secretAccessKey, region: 'us-east-1' };

describe('sign-in, sessions and bearer tokens (STS stand-in)', () => {
  let gw: TestGateway;
  const endedSessions: string[] = [];
  before(async () => {
    gw = await startTestGateway({
      env: { ADMIN_ACCOUNTS: testUsers.bob.account },
      endSession: async (session) => void endedSessions.push(session.id),
    });
  });
  after(async () => gw.close());

  test('signs in with keys STS accepts: username from the ARN, bearer token, HttpOnly SameSite=Lax cookie', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/api/login', payload: loginBody });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { success: boolean; username: string; token: string };
    assert.equal(body.success, true);
    assert.equal(body.username, 'alice');
    assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
    const lines = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]);
    const session = lines.find((l) => l.startsWith('ashapp_session='));
    assert.ok(session);
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
    assert.match(session, /Path=\//);
    assert.doesNotMatch(session, /Secure/);
    const csrf = lines.find((l) => l.startsWith('ashapp_csrf='));
    assert.ok(csrf);
    assert.doesNotMatch(csrf, /HttpOnly/);
  });

  test('marks cookies Secure behind a trusted proxy that says https', async () => {
    const proxied = await startTestGateway({ env: { TRUST_PROXY: 'true' } });
    try {
      const res = await proxied.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: loginBody,
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.equal(res.statusCode, 200);
      const lines = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]);
      assert.ok(lines.every((l) => /; Secure/.test(l)));
      assert.match(String(res.headers['strict-transport-security']), /max-age=/);
      // Without TRUST_PROXY the same header is ignored (see the previous test's gateway).
      const direct = await gw.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: loginBody,
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.equal(direct.headers['strict-transport-security'], undefined);
      assert.ok(
        ([] as string[]).concat(direct.headers['set-cookie'] as string[]).every((l) => !/Secure/.test(l)),
      );
    } finally {
      await proxied.close();
    }
  });

  test('answers 400 naming every missing field', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { access_key: alice.accessKeyId },
    });
    assert.equal(res.statusCode, 400);
    const body = res.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'INPUT_INVALID');
    assert.match(body.error.message, /secret_key/);
    assert.match(body.error.message, /region/);
  });

  test('answers 401 when the secret is wrong (the SDK sees SignatureDoesNotMatch)', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { ...loginBody, secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY00' },
    });
    assert.equal(res.statusCode, 401);
    const body = res.json() as { error: { code: string; details: { reason: string } } };
    assert.equal(body.error.code, 'NOT_AUTHENTICATED');
    assert.equal(body.error.details.reason, 'SignatureDoesNotMatch');
    assert.equal(res.headers['set-cookie']?.toString().includes('ashapp_session=') ?? false, false);
  });

  test('answers 401 for an access key STS does not know (InvalidClientTokenId)', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { ...loginBody, access_key: 'AKIAUNKNOWNKEY000000' },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(
      (res.json() as { error: { details: { reason: string } } }).error.details.reason,
      'InvalidClientTokenId',
    );
  });

  test('answers 503 when STS cannot be reached', async () => {
    const port = await getFreePort();
    const offline = await startTestGateway({
      env: { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}`, STS_TIMEOUT_MS: '1000' },
    });
    try {
      const res = await offline.app.inject({ method: 'POST', url: '/api/login', payload: loginBody });
      assert.equal(res.statusCode, 503);
      assert.match((res.json() as { error: { message: string } }).error.message, /STS is unreachable/);
    } finally {
      await offline.close();
    }
  });

  test('GET /api/user describes the signed-in user, and 401 with logged_in false when signed out', async () => {
    const { cookie } = await gw.login();
    const res = await gw.app.inject({ method: 'GET', url: '/api/user', headers: { cookie } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      logged_in: true,
      username: 'alice',
      arn: alice.arn,
      account: alice.account,
      region: 'us-east-1',
      roles: ['user'],
    });
    const anonymous = await gw.app.inject({ method: 'GET', url: '/api/user' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal((anonymous.json() as { logged_in: boolean }).logged_in, false);
  });

  test('gives admin to listed ARNs and accounts, user to everyone else', async () => {
    for (const [user, admin] of [
      [testUsers.admin, true],
      [testUsers.bob, true],
      [testUsers.alice, false],
    ] as const) {
      const { token } = await gw.login(user);
      const res = await gw.app.inject({
        method: 'GET',
        url: '/api/user',
        headers: { authorization: `Bearer ${token}` },
      });
      const roles = (res.json() as { roles: string[] }).roles;
      assert.ok(roles.includes('user'));
      assert.equal(roles.includes('admin'), admin, `${user.arn}`);
    }
  });

  test('logout destroys the session and revokes its bearer token', async () => {
    const { cookie, csrf, token } = await gw.login();
    const ended = endedSessions.length;
    const res = await gw.app.inject({
      method: 'POST',
      url: '/api/logout',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { success: true });
    assert.equal(endedSessions.length, ended + 1, 'services holding per-session secrets are told');
    assert.match(String(readSetCookies(res.headers).ashapp_session), /^$/);
    assert.equal(
      (await gw.app.inject({ method: 'GET', url: '/api/user', headers: { cookie } })).statusCode,
      401,
    );
    const viaToken = await gw.app.inject({
      method: 'GET',
      url: '/api/user',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(viaToken.statusCode, 401);
  });

  test('refuses a cookie-authenticated POST without or with a wrong CSRF token (403), accepts bearer without one', async () => {
    const { cookie, csrf, token } = await gw.login();
    const missing = await gw.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie } });
    assert.equal(missing.statusCode, 403);
    const wrong = await gw.app.inject({
      method: 'POST',
      url: '/api/logout',
      headers: { cookie, 'x-csrf-token': `${csrf.slice(0, -2)}xx` },
    });
    assert.equal(wrong.statusCode, 403);
    // A token issued for another session does not pass either, even when cookie and header agree.
    const other = await gw.login(testUsers.bob);
    const foreign = await gw.app.inject({
      method: 'POST',
      url: '/api/logout',
      headers: {
        cookie: `ashapp_session=${(await gw.login()).sessionCookie}; ashapp_csrf=${other.csrf}`,
        'x-csrf-token': other.csrf,
      },
    });
    assert.equal(foreign.statusCode, 403);
    assert.equal(
      (await gw.app.inject({ method: 'GET', url: '/api/user', headers: { cookie } })).statusCode,
      200,
    );
    const bearer = await gw.app.inject({
      method: 'DELETE',
      url: '/api/tokens/current',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(bearer.statusCode, 200);
  });

  test('refuses sign-in posted from another origin, accepts our own origin and scripts without one', async () => {
    const cross = await gw.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: loginBody,
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(cross.statusCode, 403);
    const same = await gw.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: loginBody,
      headers: { origin: 'http://localhost:80', host: 'localhost:80' },
    });
    assert.equal(same.statusCode, 200);
  });

  test('a revoked bearer token stops working while the browser session stays signed in', async () => {
    const { cookie, token } = await gw.login();
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await gw.app.inject({ method: 'GET', url: '/api/user', headers: auth })).statusCode, 200);
    const revoke = await gw.app.inject({ method: 'DELETE', url: '/api/tokens/current', headers: auth });
    assert.equal(revoke.statusCode, 200);
    assert.equal((await gw.app.inject({ method: 'GET', url: '/api/user', headers: auth })).statusCode, 401);
    assert.equal(
      (await gw.app.inject({ method: 'GET', url: '/api/user', headers: { cookie } })).statusCode,
      200,
    );
    const bogus = await gw.app.inject({
      method: 'GET',
      url: '/api/history',
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(bogus.statusCode, 401);
  });

  test('records sign-in, failed sign-in (key masked, no secret) and sign-out as audit events', async () => {
    const fresh = await startTestGateway();
    try {
      const { cookie, csrf } = await fresh.login();
      await fresh.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { ...loginBody, secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY00' },
      });
      await fresh.app.inject({
        method: 'POST',
        url: '/api/logout',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      const events = await fresh.auditEvents();
      assert.deepEqual(
        events.map((e) => e.action_type),
        ['login', 'login_failed', 'logout'],
      );
      assert.equal(events[0]?.user_id, alice.arn);
      assert.equal(events[0]?.service, 'gateway');
      assert.ok(events[0]?.ip_address);
      const failed = JSON.stringify(events[1]);
      assert.doesNotMatch(failed, new RegExp(alice.accessKeyId));
      assert.doesNotMatch(JSON.stringify(events), /wJalrXUtnFEMI/);
    } finally {
      await fresh.close();
    }
  });

  test('limits sign-in attempts per address with 429 and Retry-After', async () => {
    const limited = await startTestGateway({
      env: { LOGIN_RATE_LIMIT_MAX: '2', LOGIN_RATE_LIMIT_WINDOW_SECONDS: '120' },
    });
    try {
      const attempt = () =>
        limited.app.inject({
          method: 'POST',
          url: '/api/login',
          payload: { ...loginBody, secret_key: 'x'.repeat(40) },
        });
      assert.equal((await attempt()).statusCode, 401);
      assert.equal((await attempt()).statusCode, 401);
      const third = await attempt();
      assert.equal(third.statusCode, 429);
      const retry = Number(third.headers['retry-after']);
      assert.ok(retry > 0 && retry <= 120, `Retry-After ${retry}`);
      assert.equal((third.json() as { error: { code: string } }).error.code, 'RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

describe('two session cookies (cookie tossing)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => gw.close());

  test("neither of two different session cookies is used: 401 naming the cause, not the first one's session", async () => {
    const victim = await gw.login(testUsers.alice);
    const attacker = await gw.login(testUsers.bob);
    for (const order of [
      [attacker.sessionCookie, victim.sessionCookie],
      [victim.sessionCookie, attacker.sessionCookie],
    ]) {
      const cookie = order.map((v) => `ashapp_session=${v}`).join('; ');
      const user = await gw.app.inject({ method: 'GET', url: '/api/user', headers: { cookie } });
      assert.equal(user.statusCode, 401, user.body);
      const history = await gw.app.inject({ method: 'GET', url: '/api/history', headers: { cookie } });
      assert.equal(history.statusCode, 401);
      const error = (history.json() as { error: { message: string; details?: { reason?: string } } }).error;
      assert.match(error.message, /two different ashapp_session cookies/);
      assert.equal(error.details?.reason, 'duplicate_session_cookie');
      const page = await gw.app.inject({ method: 'GET', url: '/history', headers: { cookie } });
      assert.equal(page.statusCode, 302);
    }
    // The same cookie twice is not ambiguous; one alone still works.
    const same = `ashapp_session=${victim.sessionCookie}; ashapp_session=${victim.sessionCookie}`;
    const ok = await gw.app.inject({ method: 'GET', url: '/api/user', headers: { cookie: same } });
    assert.equal(ok.statusCode, 200);
    assert.equal((ok.json() as { username: string }).username, 'alice');
  });
});
