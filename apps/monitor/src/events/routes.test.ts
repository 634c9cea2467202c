import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createDatabase,
  createId,
  identityHeader,
  runMigrations,
  signIdentity,
  type Database,
  type Role,
  type ServiceApp,
} from '@ashapp/platform';
import { createCapturingLogger, createTestDatabase, type TestDatabase } from '@ashapp/platform/testing';
import { buildApp } from '../app.ts';
import { createInMemoryEventBus } from './event-bus.ts';
import { createMonitorMigrations, type MonitorTables } from './events-repository.ts';
import type { EventView } from '@ashapp/contracts/monitor';

const secret = 'test-secret-test-secret-test-secret-0123456789';
const alice = 'arn:aws:iam::111111111111:user/alice';
const bob = 'arn:aws:iam::111111111111:user/bob';
const root = 'arn:aws:iam::111111111111:user/root-admin';

function as(userId: string, roles: Role[] = ['user']): Record<string, string> {
  return { [identityHeader]: signIdentity({ userId, roles, requestId: createId() }, secret) };
}
const asService = (name: string) => as(`service:${name}`, ['service']);

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: alice,
    service: 'assistant',
    endpoint: '/api/ask',
    action_type: 'ask',
    request_data: { query: 'list buckets' },
    response_summary: { ok: true },
    ...overrides,
  };
}

async function startForgeryMonitor(): Promise<{
  database: Database<MonitorTables>;
  drop: () => Promise<void>;
  app: ServiceApp;
}> {
  const testDb = await createTestDatabase('sqlite');
  const database = createDatabase<MonitorTables>({ url: testDb.url });
  await runMigrations(database.db, 'monitor', createMonitorMigrations(database.dialect));
  const app = await buildApp({
    config: {
      internalAuthSecret: secret,
      maxFieldBytes: 64 * 1024,
      bodyLimitBytes: 1024 * 1024,
      heartbeatMs: 15_000,
    },
    log: createCapturingLogger('monitor').log,
    database,
    bus: createInMemoryEventBus(),
  });
  return { database, drop: () => testDb.drop(), app };
}

describe('monitor routes', () => {
  let testDb: TestDatabase;
  let database: Database<MonitorTables>;
  let app: ServiceApp;

  before(async () => {
    testDb = await createTestDatabase('sqlite');
    database = createDatabase<MonitorTables>({ url: testDb.url });
    await runMigrations(database.db, 'monitor', createMonitorMigrations(database.dialect));
    app = await buildApp({
      config: {
        internalAuthSecret: secret,
        maxFieldBytes: 64 * 1024,
        bodyLimitBytes: 32 * 1024 * 1024,
        heartbeatMs: 15_000,
      },
      log: createCapturingLogger('monitor').log,
      database,
      bus: createInMemoryEventBus(),
    });
  });
  after(async () => {
    await app.close();
    await database.close();
    await testDb.drop();
  });

  async function list(
    headers: Record<string, string>,
    query = '',
  ): Promise<{ items: EventView[]; next_cursor: string | null }> {
    const res = await app.inject({ method: 'GET', url: `/monitor/events${query}`, headers });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  test('answers 401 on every business route without a valid identity assertion', async () => {
    const calls = [
      { method: 'POST' as const, url: '/monitor/log', payload: event() },
      { method: 'POST' as const, url: '/monitor/events/batch', payload: { events: [event()] } },
      { method: 'GET' as const, url: '/monitor/events' },
      { method: 'GET' as const, url: '/monitor/events/stream' },
      { method: 'GET' as const, url: '/monitor/stats' },
    ];
    for (const call of calls) {
      const missing = await app.inject(call);
      assert.equal(missing.statusCode, 401, call.url);
      assert.equal(missing.json().error.code, 'NOT_AUTHENTICATED');
      const forged = signIdentity(
        { userId: alice, roles: ['admin'], requestId: 'r' },
        'another-secret-another-secret-0123',
      );
      const wrongKey = await app.inject({ ...call, headers: { [identityHeader]: forged } });
      assert.equal(wrongKey.statusCode, 401, call.url);
    }
  });

  test('serves health, readiness, metrics and an OpenAPI document with every route schema, without identity', async () => {
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
    assert.match((await app.inject({ url: '/metrics' })).body, /http_requests_total/);
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.ok(doc.paths['/monitor/log'].post.requestBody);
    assert.ok(doc.paths['/monitor/log'].post.responses['201']);
    assert.ok(doc.paths['/monitor/events/batch'].post.requestBody);
    assert.ok(doc.paths['/monitor/events'].get.parameters.some((p: { name: string }) => p.name === 'cursor'));
    assert.ok(doc.paths['/monitor/events'].get.responses['200']);
    assert.ok(doc.paths['/monitor/events/stream'].get.responses['200'].content['text/event-stream']);
    assert.ok(doc.paths['/monitor/stats'].get.parameters.some((p: { name: string }) => p.name === 'bucket'));
  });

  test('logs a user event as that user, with address and agent from the forwarded request', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: { ...as(alice), 'x-forwarded-for': '203.0.113.9, 10.0.0.2', 'user-agent': 'Mozilla/5.0 test' },
      payload: event({ user_id: bob, endpoint: '/deployer-api/validate', action_type: 'validate-code' }),
    });
    assert.equal(res.statusCode, 201, res.body);
    const { id, stored } = res.json();
    assert.equal(stored, true);
    const [mine] = (await list(as(alice), '?action_type=user.validate-code')).items;
    assert.equal(mine?.id, id);
    assert.equal(mine?.user_id, alice);
    assert.equal(mine?.ip_address, '203.0.113.9');
    assert.equal(mine?.user_agent, 'Mozilla/5.0 test');
    assert.deepEqual(mine?.request_data, { query: 'list buckets' });
    // A user's event is the user's: service `user`, its action namespaced (issue 8 item 6).
    assert.equal(mine?.service, 'user');
    assert.equal(mine?.action_type, 'user.validate-code');
    assert.equal((await list(as(bob), '?action_type=user.validate-code')).items.length, 0);
  });

  test('takes a service report as given and stores a repeated id once (201 then 200)', async () => {
    const id = createId();
    const body = event({
      id,
      user_id: bob,
      ip_address: '198.51.100.7',
      user_agent: 'aws-cli',
      timestamp: '2026-01-02T03:04:05.678Z',
    });
    const first = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: asService('deployer'),
      payload: body,
    });
    assert.equal(first.statusCode, 201);
    assert.deepEqual(first.json(), { id, stored: true });
    const second = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: asService('deployer'),
      payload: body,
    });
    assert.equal(second.statusCode, 200);
    assert.deepEqual(second.json(), { id, stored: false });
    const items = (await list(as(bob), '?from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z')).items;
    assert.equal(items.length, 1);
    assert.equal(items[0]?.timestamp, '2026-01-02T03:04:05.678Z');
    assert.equal(items[0]?.ip_address, '198.51.100.7');
  });

  test('replaces a timestamp far in the future or before 1970 with the receive time', async () => {
    for (const timestamp of ['2999-01-01T00:00:00Z', '1960-01-01T00:00:00Z']) {
      const started = Date.now();
      const res = await app.inject({
        method: 'POST',
        url: '/monitor/log',
        headers: asService('deployer'),
        payload: event({ user_id: 'clock-user', timestamp, action_type: `clock-${timestamp}` }),
      });
      assert.equal(res.statusCode, 201);
      const [stored] = (await list(as('clock-user'), `?action_type=clock-${timestamp}`)).items;
      const at = Date.parse(stored?.timestamp ?? '');
      assert.ok(at >= started && at <= Date.now(), `${timestamp} stored as ${stored?.timestamp}`);
    }
  });

  test('answers 400 with what was wrong for wrong types, missing fields and bad ids', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [event({ service: 5 }), /service/],
      [{ service: 'assistant', action_type: 'ask' }, /endpoint/],
      [event({ id: 'not-a-uuid' }), /id/],
      [event({ timestamp: 'yesterday' }), /timestamp/],
    ];
    for (const [payload, pattern] of cases) {
      const res = await app.inject({ method: 'POST', url: '/monitor/log', headers: as(alice), payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'INPUT_INVALID');
      assert.match(res.json().error.message, pattern);
    }
    const malformed = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: { ...as(alice), 'content-type': 'application/json' },
      payload: '{"service":',
    });
    assert.equal(malformed.statusCode, 400);
  });

  test('answers 400 for invalid cursors, limits, times and stats ranges', async () => {
    for (const query of ['?cursor=bm90LWEtY3Vyc29y', '?cursor=%%%', '?limit=0', '?limit=abc', '?from=nope']) {
      const res = await app.inject({ method: 'GET', url: `/monitor/events${query}`, headers: as(alice) });
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json().error.code, 'INPUT_INVALID');
    }
    for (const query of [
      '?bucket=week',
      '?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      '?from=2000-01-01T00:00:00Z&bucket=minute',
    ]) {
      const res = await app.inject({ method: 'GET', url: `/monitor/stats${query}`, headers: as(alice) });
      assert.equal(res.statusCode, 400, query);
    }
  });

  test('ingests a service batch once, counts duplicates, and refuses oversized, empty and user batches', async () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      event({ id: createId(), user_id: 'batch-user', endpoint: `/e/${i}` }),
    );
    const first = await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: asService('history'),
      payload: { events },
    });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), { stored: 1000, duplicates: 0 });
    const again = await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: asService('history'),
      payload: { events: [...events.slice(0, 10), events[0]] },
    });
    assert.deepEqual(again.json(), { stored: 0, duplicates: 11 });
    const tooMany = [...events, event({ id: createId() })];
    const oversized = await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: asService('history'),
      payload: { events: tooMany },
    });
    assert.equal(oversized.statusCode, 400);
    assert.match(oversized.json().error.message, /events/);
    const empty = await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: asService('history'),
      payload: { events: [] },
    });
    assert.equal(empty.statusCode, 400);
    const byUser = await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: as(alice),
      payload: { events: [event()] },
    });
    assert.equal(byUser.statusCode, 403);
  });

  test('masks nested secrets in data, endpoint and user agent before anything is stored', async () => {
    const secrets = [
      'hunter2-password',
      'tok-123456',
      'AKIAIOSFODNN7EXAMPLE',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'abc.def-bearer-credential',
      'dckr_pat_secret',
      'ghp_endpoint_token_value',
    ];
    const res = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: { ...as(alice), 'user-agent': 'curl/8 Authorization: Bearer abc.def-bearer-credential' },
      payload: event({
        action_type: 'masking-check',
        endpoint: '/login?token=x Bearer ghp_endpoint_token_value',
        request_data: {
          access_key: 'AKIAIOSFODNN7EXAMPLE',
          Password: 'hunter2-password',
          steps: [
            { note: 'fine' },
            { auth: { token: 'tok-123456' } },
            ['aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
          ],
          headers: { authorization: 'Bearer abc.def-bearer-credential' },
        },
        response_summary: { registry: { docker_token: 'dckr_pat_secret' }, kept: 'visible' },
      }),
    });
    assert.equal(res.statusCode, 201, res.body);
    const rows = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action_type', '=', 'user.masking-check')
      .execute();
    assert.equal(rows.length, 1);
    const raw = JSON.stringify(rows[0]);
    const [view] = (await list(as(alice), '?action_type=user.masking-check')).items;
    for (const s of secrets) {
      assert.ok(!raw.includes(s), `stored row leaks ${s}`);
      assert.ok(!JSON.stringify(view).includes(s), `view leaks ${s}`);
    }
    assert.match(raw, /visible/);
    assert.deepEqual((view?.request_data as { steps: unknown[] }).steps[0], { note: 'fine' });
  });

  test('truncates an oversized request_data with a marker instead of failing', async () => {
    const big = { blob: 'x'.repeat(200 * 1024), password: 'pw-should-not-appear' };
    const res = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: as(alice),
      payload: event({ action_type: 'big-one', request_data: big }),
    });
    assert.equal(res.statusCode, 201);
    const [view] = (await list(as(alice), '?action_type=user.big-one')).items;
    const data = view?.request_data as { truncated: boolean; original_bytes: number; preview: string };
    assert.equal(data.truncated, true);
    assert.ok(data.original_bytes > 200 * 1024);
    assert.ok(JSON.stringify(data).length <= 64 * 1024);
    assert.ok(!JSON.stringify(data).includes('pw-should-not-appear'));
  });

  test("shows users only their own events whatever user_id they ask for, and admins everyone's", async () => {
    for (const user of [alice, bob]) {
      await app.inject({
        method: 'POST',
        url: '/monitor/log',
        headers: as(user),
        payload: event({ action_type: 'visibility' }),
      });
    }
    const asAlice = await list(as(alice), `?action_type=user.visibility&user_id=${encodeURIComponent(bob)}`);
    assert.deepEqual(
      asAlice.items.map((e) => e.user_id),
      [alice],
    );
    const asAdmin = await list(as(root, ['user', 'admin']), '?action_type=user.visibility');
    assert.deepEqual(new Set(asAdmin.items.map((e) => e.user_id)), new Set([alice, bob]));
    const adminForBob = await list(
      as(root, ['user', 'admin']),
      `?action_type=user.visibility&user_id=${encodeURIComponent(bob)}`,
    );
    assert.deepEqual(
      adminForBob.items.map((e) => e.user_id),
      [bob],
    );
    const everything = await list(as(bob), '?limit=500');
    assert.ok(everything.items.every((e) => e.user_id === bob));
  });

  test('pages with next_cursor until every event was seen once', async () => {
    const ids = new Set<string>();
    const timestamp = '2025-06-01T00:00:00.000Z';
    for (let i = 0; i < 7; i += 1) {
      const res = await app.inject({
        method: 'POST',
        url: '/monitor/log',
        headers: asService('deployer'),
        payload: event({ user_id: 'pager', timestamp, action_type: 'page' }),
      });
      ids.add(res.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const query: string = `?limit=3&action_type=page${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await list(as('pager'), query);
      seen.push(...res.items.map((e) => e.id));
      cursor = res.next_cursor;
      if (!cursor) break;
    }
    assert.equal(seen.length, 7);
    assert.deepEqual(new Set(seen), ids);
  });

  test('reports statistics within the caller’s visibility', async () => {
    const from = '2024-03-01T00:00:00.000Z';
    for (const [user, minute] of [
      [alice, 0],
      [alice, 0],
      [alice, 2],
      [bob, 1],
    ] as const) {
      await app.inject({
        method: 'POST',
        url: '/monitor/log',
        headers: asService('gateway'),
        payload: event({
          user_id: user,
          service: 'gateway',
          action_type: 'login',
          timestamp: `2024-03-01T00:0${minute}:30.000Z`,
        }),
      });
    }
    const res = await app.inject({
      method: 'GET',
      url: `/monitor/stats?from=${from}&to=2024-03-01T00:03:00.000Z&bucket=minute`,
      headers: as(alice),
    });
    assert.equal(res.statusCode, 200, res.body);
    const stats = res.json();
    assert.deepEqual(stats.by_service, [{ service: 'gateway', count: 3 }]);
    assert.deepEqual(stats.by_action, [{ action_type: 'login', count: 3 }]);
    assert.deepEqual(stats.by_time, [
      { bucket_start: '2024-03-01T00:00:00.000Z', count: 2 },
      { bucket_start: '2024-03-01T00:01:00.000Z', count: 0 },
      { bucket_start: '2024-03-01T00:02:00.000Z', count: 1 },
    ]);
    const admin = await app.inject({
      method: 'GET',
      url: `/monitor/stats?from=${from}&to=2024-03-01T00:03:00.000Z&bucket=minute`,
      headers: as(root, ['admin']),
    });
    assert.deepEqual(admin.json().by_service, [{ service: 'gateway', count: 4 }]);
  });
});

describe('forged audit events (issue 8 item 6)', () => {
  let database: Database<MonitorTables>;
  let dropDb: () => Promise<void>;
  let app: ServiceApp;
  before(async () => {
    ({ database, drop: dropDb, app } = await startForgeryMonitor());
  });
  after(async () => {
    await app.close();
    await database.close();
    await dropDb();
  });

  test('a user cannot claim a platform service, action, address, agent, time or another user', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: { ...as(alice), 'x-forwarded-for': '203.0.113.9', 'user-agent': 'real-browser' },
      payload: {
        user_id: bob,
        service: 'gateway',
        endpoint: 'POST /api/login',
        action_type: 'login',
        ip_address: '6.6.6.6',
        user_agent: 'forged-agent',
        timestamp: '2020-01-01T00:00:00.000Z',
        request_id: 'forged-request',
        request_data: { note: 'I am the gateway' },
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const rows = await database.db.selectFrom('audit_events').selectAll().execute();
    const forged = rows.filter((r) => r.service === 'gateway' || r.action_type === 'login');
    assert.deepEqual(forged, [], 'no event reads as a gateway sign-in');
    const [stored] = rows;
    assert.equal(rows.length, 1);
    assert.equal(stored?.service, 'user');
    assert.equal(stored?.action_type, 'user.login');
    assert.equal(stored?.user_id, alice);
    assert.equal(stored?.ip_address, '203.0.113.9');
    assert.equal(stored?.user_agent, 'real-browser');
    assert.notEqual(stored?.request_id, 'forged-request');
    assert.ok(
      Number(stored?.occurred_at) > Date.parse('2025-01-01T00:00:00Z'),
      'stamped with the receive time',
    );
  });

  test('masks a secret after = in a note (issue 8 item 4) in single events and batches', async () => {
    const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const note = `aws_secret_access_key=${secretKey}`;
    await app.inject({
      method: 'POST',
      url: '/monitor/log',
      headers: as(alice),
      payload: event({ action_type: 'note-check', request_data: { note } }),
    });
    await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: asService('assistant'),
      payload: {
        events: [{ ...event({ action_type: 'note-check', request_data: { note } }), user_id: alice }],
      },
    });
    const rows = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action_type', 'in', ['note-check', 'user.note-check'])
      .execute();
    assert.equal(rows.length, 2);
    assert.ok(!JSON.stringify(rows).includes(secretKey));
    assert.ok(rows.every((r) => String(r.request_data).includes('aws_secret_access_key=***')));
  });

  test('a user cannot deliver a batch at all', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/monitor/events/batch',
      headers: as(alice),
      payload: { events: [{ ...event({ service: 'gateway' }), user_id: alice }] },
    });
    assert.equal(res.statusCode, 403);
  });
});
