import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getFreePort } from '@ashapp/platform/testing';
import { startTestGateway, type TestGateway } from '../../test/harness.ts';
import { startServices, type RunningServices } from '@ashapp/test-platform/services';
import { testUsers } from '@ashapp/aws-stand-in';

interface Session {
  cookie: string;
  csrf: string;
  token: string;
}

describe('routing to the real history and monitor services', () => {
  let services: RunningServices;
  let gw: TestGateway;
  let base: string;
  let alice: Session;
  let bob: Session;
  let admin: Session;

  before(async () => {
    services = await startServices(['monitor', 'history']);
    const closedPort = await getFreePort();
    gw = await startTestGateway({
      env: { INTERNAL_AUTH_SECRET: services.secret },
      serviceUrls: {
        history: services.urls.history,
        monitor: services.urls.monitor,
        assistant: `http://127.0.0.1:${closedPort}`,
        deployer: `http://127.0.0.1:${closedPort}`,
      },
    });
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    alice = await gw.login(testUsers.alice);
    bob = await gw.login(testUsers.bob);
    admin = await gw.login(testUsers.admin);
  });
  after(async () => {
    await gw?.close();
    await services?.stop();
  });

  const bearer = (s: Session) => ({ authorization: `Bearer ${s.token}` });

  async function save(s: Session, query: string) {
    const res = await fetch(`${base}/services/history/history/save`, {
      method: 'POST',
      headers: { ...bearer(s), 'content-type': 'application/json' },
      body: JSON.stringify({ query, output: `output of ${query}` }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as { id: string };
  }

  test('answers 401 to API calls without a session, before reaching any service', async () => {
    for (const url of [
      '/api/history',
      '/api/monitor/events',
      '/api/monitor/stats',
      '/api/monitor/stream',
      '/services/history/history/list',
    ]) {
      const res = await fetch(`${base}${url}`);
      assert.equal(res.status, 401, url);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_AUTHENTICATED');
    }
    const post = await fetch(`${base}/monitor/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(post.status, 401);
  });

  test('GET /api/history pages through history with the Link header rewritten to the public path', async () => {
    for (const q of ['list ec2 instances', 'list s3 buckets', 'describe vpcs']) await save(alice, q);
    const first = await fetch(`${base}/api/history?limit=2`, { headers: { cookie: alice.cookie } });
    assert.equal(first.status, 200);
    const page = (await first.json()) as Array<{ query: string; created_at: string }>;
    assert.deepEqual(
      page.map((e) => e.query),
      ['describe vpcs', 'list s3 buckets'],
    );
    const link = first.headers.get('link') ?? '';
    assert.match(link, /^<\/api\/history\?[^>]*cursor=[^>]+>; rel="next"$/);
    const next = /<([^>]+)>/.exec(link)?.[1] ?? '';
    const second = await fetch(`${base}${next}`, { headers: { cookie: alice.cookie } });
    assert.deepEqual(
      ((await second.json()) as Array<{ query: string }>).map((e) => e.query),
      ['list ec2 instances'],
    );
    assert.equal(first.headers.get('x-request-id')?.length ? true : false, true);
  });

  test("a non-admin cannot read or delete another user's history through any route", async () => {
    const entry = await save(alice, 'alice private query');
    const bobs = await fetch(`${base}/api/history`, { headers: bearer(bob) });
    assert.equal(bobs.status, 200);
    assert.equal(((await bobs.json()) as unknown[]).length, 0);
    const asked = await fetch(`${base}/api/history?user_id=${encodeURIComponent(testUsers.alice.arn)}`, {
      headers: bearer(bob),
    });
    assert.equal(asked.status, 403);
    const raw = await fetch(
      `${base}/services/history/history/list?user_id=${encodeURIComponent(testUsers.alice.arn)}`,
      {
        headers: bearer(bob),
      },
    );
    assert.equal(raw.status, 403);
    const del = await fetch(`${base}/api/history/${entry.id}`, { method: 'DELETE', headers: bearer(bob) });
    assert.equal(del.status, 404);
    // A forged identity header from the caller never reaches the service.
    const forged = await fetch(`${base}/api/history`, {
      headers: { ...bearer(bob), 'x-ashapp-identity': 'v1.forged.signature' },
    });
    assert.equal(((await forged.json()) as unknown[]).length, 0);
    const adminView = await fetch(`${base}/api/history?user_id=${encodeURIComponent(testUsers.alice.arn)}`, {
      headers: bearer(admin),
    });
    assert.equal(adminView.status, 200);
    assert.ok(
      ((await adminView.json()) as Array<{ query: string }>).some((e) => e.query === 'alice private query'),
    );
  });

  test('DELETE /api/history/:id needs the CSRF token with a cookie, deletes with it, and is audited', async () => {
    const entry = await save(alice, 'to be deleted');
    const withoutToken = await fetch(`${base}/api/history/${entry.id}`, {
      method: 'DELETE',
      headers: { cookie: alice.cookie },
    });
    assert.equal(withoutToken.status, 403);
    const res = await fetch(`${base}/api/history/${entry.id}`, {
      method: 'DELETE',
      headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf },
    });
    assert.equal(res.status, 204);
    const events = await gw.auditEvents();
    const forward = events.find(
      (e) => e.action_type === 'forward' && e.endpoint === `DELETE /api/history/${entry.id}`,
    );
    assert.ok(forward, JSON.stringify(events.map((e) => e.endpoint)));
    assert.equal(forward.user_id, testUsers.alice.arn);
    assert.deepEqual(forward.response_summary, { status: 204 });
  });

  test('a user cannot forge an audit event: service, action, address, agent and user are stamped (issue 8)', async () => {
    const forged = {
      user_id: testUsers.admin.arn,
      service: 'gateway',
      endpoint: 'POST /api/login',
      action_type: 'login',
      ip_address: '6.6.6.6',
      user_agent: 'forged-agent',
      request_id: 'forged-request-id',
      timestamp: '2020-01-01T00:00:00.000Z',
      request_data: { note: 'welcome back, admin' },
    };
    for (const path of ['/api/monitor/log', '/monitor/log', '/services/monitor/monitor/log']) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { ...bearer(alice), 'content-type': 'application/json', 'user-agent': 'alice-browser' },
        body: JSON.stringify({ ...forged, endpoint: `${forged.endpoint} via ${path}` }),
      });
      assert.ok([200, 201].includes(res.status), `${path}: ${res.status} ${await res.clone().text()}`);
    }
    type Page = { items: Array<Record<string, unknown>> };
    const all = (await (
      await fetch(`${base}/api/monitor/events?limit=500`, { headers: bearer(admin) })
    ).json()) as Page;
    const mine = all.items.filter((e) => String(e.endpoint).startsWith('POST /api/login via'));
    assert.equal(mine.length, 3, JSON.stringify(all.items.map((e) => e.endpoint)));
    for (const e of mine) {
      assert.equal(e.service, 'user', JSON.stringify(e));
      assert.equal(e.action_type, 'user.login');
      assert.equal(e.user_id, testUsers.alice.arn);
      assert.equal(e.ip_address, '127.0.0.1');
      assert.equal(e.user_agent, 'alice-browser');
      assert.notEqual(e.request_id, 'forged-request-id');
      assert.ok(Date.parse(String(e.timestamp)) > Date.parse('2025-01-01T00:00:00Z'));
    }
    // Nothing a user sent reads as a platform sign-in.
    assert.ok(!all.items.some((e) => e.service === 'gateway' && e.ip_address === '6.6.6.6'));
    // Only services deliver batches.
    const batch = await fetch(`${base}/services/monitor/monitor/events/batch`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ ...forged, user_id: testUsers.alice.arn }] }),
    });
    assert.equal(batch.status, 403);
  });

  test('monitor events: users see their own, admins see everyone; both original and /api log paths work', async () => {
    const body = (marker: string) =>
      JSON.stringify({
        user_id: 'ignored',
        service: 'web',
        endpoint: '/x',
        action_type: marker,
        request_data: {},
        response_summary: {},
      });
    const viaOriginal = await fetch(`${base}/monitor/log`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: body('alice-original'),
    });
    assert.ok([200, 201].includes(viaOriginal.status), await viaOriginal.text());
    const viaApi = await fetch(`${base}/api/monitor/log`, {
      method: 'POST',
      headers: { cookie: bob.cookie, 'x-csrf-token': bob.csrf, 'content-type': 'application/json' },
      body: body('bob-api'),
    });
    assert.ok([200, 201].includes(viaApi.status), await viaApi.text());
    type Page = { items: Array<{ user_id: string; action_type: string }> };
    const bobsView = (await (
      await fetch(`${base}/api/monitor/events?limit=100`, { headers: bearer(bob) })
    ).json()) as Page;
    assert.ok(bobsView.items.length > 0);
    assert.ok(
      bobsView.items.every((e) => e.user_id === testUsers.bob.arn),
      JSON.stringify(bobsView.items),
    );
    const forAlice = await fetch(
      `${base}/api/monitor/events?user_id=${encodeURIComponent(testUsers.alice.arn)}`,
      { headers: bearer(bob) },
    );
    const forAliceBody = forAlice.status === 200 ? ((await forAlice.json()) as Page) : { items: [] };
    assert.ok(forAlice.status === 403 || forAliceBody.items.every((e) => e.user_id === testUsers.bob.arn));
    const adminView = (await (
      await fetch(`${base}/api/monitor/events?limit=100`, { headers: bearer(admin) })
    ).json()) as Page;
    const users = new Set(adminView.items.map((e) => e.user_id));
    assert.ok(users.has(testUsers.alice.arn) && users.has(testUsers.bob.arn));
    const stats = await fetch(`${base}/api/monitor/stats`, { headers: bearer(admin) });
    assert.equal(stats.status, 200);
    assert.ok(Array.isArray(((await stats.json()) as { by_service: unknown[] }).by_service));
  });

  test('passes the live feed through unbuffered: an event arrives while the stream stays open', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/monitor/stream`, {
      headers: bearer(alice),
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const reader = res.body!.getReader();
    const marker = `live-${Date.now()}`;
    const posted = fetch(`${base}/monitor/log`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'web', endpoint: '/live', action_type: marker }),
    });
    let text = '';
    const deadline = Date.now() + 5000;
    try {
      while (!text.includes(marker) && Date.now() < deadline) {
        const chunk = await Promise.race([
          reader.read(),
          new Promise<{ done: true; value: undefined }>((resolve) =>
            setTimeout(() => resolve({ done: true, value: undefined }), Math.max(1, deadline - Date.now())),
          ),
        ]);
        if (chunk.done) break;
        text += Buffer.from(chunk.value).toString('utf8');
      }
    } finally {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
    assert.ok([200, 201].includes((await posted).status));
    assert.ok(text.includes('event: audit'), text);
    assert.ok(text.includes(marker), text);
  });

  test('maps a service that is down to 503 UNAVAILABLE naming it', async () => {
    const res = await fetch(`${base}/api/ask`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'list ec2 instances' }),
    });
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    assert.equal(body.error.code, 'UNAVAILABLE');
    assert.equal(body.error.message, 'assistant is unavailable');
    assert.ok(body.error.requestId);
    const deployer = await fetch(`${base}/deployer-api/deployments`, { headers: bearer(alice) });
    assert.equal(deployer.status, 503);
    assert.equal(
      ((await deployer.json()) as { error: { message: string } }).error.message,
      'deployer is unavailable',
    );
  });

  test("serves each service's OpenAPI document through the gateway and the API browser at /api/docs", async () => {
    const doc = await fetch(`${base}/services/history/openapi.json`);
    assert.equal(doc.status, 200);
    const paths = Object.keys(((await doc.json()) as { paths: Record<string, unknown> }).paths);
    assert.ok(paths.includes('/history/list'));
    const own = await fetch(`${base}/api/docs/json`);
    assert.ok(
      Object.keys(((await own.json()) as { paths: Record<string, unknown> }).paths).includes('/api/login'),
    );
    const ui = await fetch(`${base}/api/docs/static/swagger-initializer.js`);
    const init = await ui.text();
    for (const name of ['history', 'monitor', 'assistant', 'deployer'])
      assert.ok(init.includes(`/services/${name}/openapi.json`));
  });
});
