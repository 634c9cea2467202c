import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createServiceClient,
  identityHeader,
  runMigrations,
  signIdentity,
  type AuditOutbox,
  type Database,
  type Role,
  type ServiceApp,
} from '@ashapp/platform';
import { createCapturingLogger, createTestDatabase, type TestDatabase } from '@ashapp/platform/testing';
import { buildApp } from '../app.ts';
import { createHistoryMigrations, type HistoryTables } from './entries-repository.ts';

const secret = 's'.repeat(43);
const alice = 'arn:aws:iam::111111111111:user/alice';
const bob = 'arn:aws:iam::111111111111:user/bob';
const admin = 'arn:aws:iam::111111111111:user/root-admin';

function as(userId: string, roles: Role[] = ['user']) {
  return { [identityHeader]: signIdentity({ userId, roles, requestId: 'req-test' }, secret) };
}

describe('history routes', () => {
  let testDb: TestDatabase;
  let database: Database<HistoryTables>;
  let audit: AuditOutbox;
  let app: ServiceApp;

  before(async () => {
    testDb = await createTestDatabase('sqlite');
    database = createDatabase<HistoryTables>({ url: testDb.url });
    await runMigrations(database.db, 'history', createHistoryMigrations(database.dialect));
    await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
    const { log } = createCapturingLogger('history');
    // No monitor listens here: audit events must wait in the outbox, which these tests inspect.
    const monitor = createServiceClient({
      name: 'monitor',
      baseUrl: 'http://127.0.0.1:9',
      identitySecret: secret,
      log,
    });
    audit = createAuditOutbox({ database, service: 'history', monitor, log });
    app = await buildApp({
      config: { internalAuthSecret: secret, maxOutputBytes: 4096 },
      log,
      database,
      audit,
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await database.close();
    await testDb.drop();
  });

  const save = (userId: string, body: unknown, roles: Role[] = ['user']) =>
    app.inject({ method: 'POST', url: '/history/save', payload: body as object, headers: as(userId, roles) });

  test('answers 401 without an identity assertion', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/history/list' })).statusCode, 401);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/history/save', payload: { query: 'a', output: 'b' } }))
        .statusCode,
      401,
    );
  });

  test('saves an entry for the caller and lists it newest first as an array', async () => {
    assert.equal((await save(alice, { query: 'first', output: 'one' })).statusCode, 201);
    const res = await save(alice, { query: 'second', output: 'two' });
    assert.equal(res.statusCode, 201);
    assert.ok(res.json().id);
    const list = await app.inject({ url: '/history/list', headers: as(alice) });
    assert.equal(list.statusCode, 200);
    const body = list.json();
    assert.ok(Array.isArray(body));
    assert.deepEqual(
      body.map((e: { query: string }) => e.query),
      ['second', 'first'],
    );
    assert.equal(body[0].output, 'two');
  });

  test('masks secrets in the query and the output before storing them (issue 8)', async () => {
    const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const query = `aws ec2 describe-instances --filters Name=tag:k,Values=${secretKey}`;
    const output = '{"SecretString": "{\\"password\\":\\"hunter2x\\"}", "Name": "prod/db"}';
    const res = await save('arn:aws:iam::111111111111:user/carol', { query, output });
    assert.equal(res.statusCode, 201, res.body);
    const rows = await database.db.selectFrom('history_entries').selectAll().execute();
    const raw = JSON.stringify(rows);
    assert.ok(!raw.includes(secretKey), 'the secret key is not stored');
    assert.ok(!raw.includes('hunter2x'), 'the password is not stored');
    assert.ok(raw.includes('prod/db'), 'the rest of the output is kept');
    const outbox = JSON.stringify(
      await database.db
        .selectFrom('audit_outbox' as never)
        .selectAll()
        .execute(),
    );
    assert.ok(!outbox.includes(secretKey));
  });

  test('announces the next page in a Link header and follows it to the end', async () => {
    for (let i = 0; i < 5; i += 1) await save(bob, { query: `q${i}`, output: `o${i}` });
    const seen: string[] = [];
    let url: string | undefined = '/history/list?limit=2';
    for (let page = 0; page < 5 && url; page += 1) {
      const res = await app.inject({ url, headers: as(bob) });
      seen.push(...res.json().map((e: { query: string }) => e.query));
      const link = res.headers.link as string | undefined;
      url = link ? /<([^>]+)>; rel="next"/.exec(link)?.[1] : undefined;
    }
    assert.deepEqual(seen, ['q4', 'q3', 'q2', 'q1', 'q0']);
  });

  test('searches with q and can leave outputs out', async () => {
    const res = await app.inject({ url: '/history/list?q=Q3&include_output=false', headers: as(bob) });
    const body = res.json();
    assert.equal(body.length, 1);
    assert.equal(body[0].query, 'q3');
    assert.equal(body[0].output, undefined);
  });

  test("refuses another user's history to a user and shows it to an admin", async () => {
    const denied = await app.inject({
      url: `/history/list?user_id=${encodeURIComponent(alice)}`,
      headers: as(bob),
    });
    assert.equal(denied.statusCode, 403);
    const allowed = await app.inject({
      url: `/history/list?user_id=${encodeURIComponent(alice)}`,
      headers: as(admin, ['user', 'admin']),
    });
    assert.equal(allowed.statusCode, 200);
    assert.ok(allowed.json().every((e: { user_id: string }) => e.user_id === alice));
  });

  test('lets a service save for a user but not a user for someone else', async () => {
    assert.equal((await save(bob, { query: 'x', output: 'y', user_id: alice })).statusCode, 403);
    assert.equal(
      (await save('service:assistant', { query: 'svc', output: 'y', user_id: alice }, ['service']))
        .statusCode,
      201,
    );
    const list = await app.inject({ url: '/history/list?limit=1', headers: as(alice) });
    assert.equal(list.json()[0].query, 'svc');
  });

  test('answers 400 for wrong types, missing fields, unknown fields, bad limits and invalid cursors', async () => {
    assert.equal((await save(alice, { query: 5, output: 'x' })).statusCode, 400);
    assert.equal((await save(alice, { query: 'x' })).statusCode, 400);
    assert.equal((await save(alice, { query: '', output: 'x' })).statusCode, 400);
    assert.equal((await save(alice, { query: 'x', output: 'y', extra: 1 })).statusCode, 400);
    assert.equal((await app.inject({ url: '/history/list?limit=0', headers: as(alice) })).statusCode, 400);
    assert.equal((await app.inject({ url: '/history/list?limit=501', headers: as(alice) })).statusCode, 400);
    const bad = await app.inject({ url: '/history/list?cursor=not-a-cursor', headers: as(alice) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /cursor/);
  });

  test('answers 413 for an output above the configured size', async () => {
    const res = await save(alice, { query: 'big', output: 'x'.repeat(5000) });
    assert.equal(res.statusCode, 413);
    assert.match(res.json().error.message, /5000 bytes/);
  });

  test('deletes own entries only and records the deletion for the audit trail', async () => {
    const id = (await save(alice, { query: 'to delete', output: 'z' })).json().id as string;
    const before = await audit.pending();
    assert.equal(
      (await app.inject({ method: 'DELETE', url: `/history/${id}`, headers: as(bob) })).statusCode,
      404,
    );
    assert.equal(
      (await app.inject({ method: 'DELETE', url: `/history/${id}`, headers: as(alice) })).statusCode,
      204,
    );
    assert.equal(
      (await app.inject({ method: 'DELETE', url: `/history/${id}`, headers: as(alice) })).statusCode,
      404,
    );
    assert.equal(await audit.pending(), before + 1);
    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/history/not-a-uuid', headers: as(alice) })).statusCode,
      400,
    );
  });

  // Last: it breaks the audit table on purpose.
  test('concurrent saves (one group commit) each store their entry and their own audit event', async () => {
    const outboxBefore = await audit.pending();
    const queries = Array.from({ length: 20 }, (_, i) => `concurrent save ${i}`);
    const answers = await Promise.all(
      queries.map((query, i) =>
        app.inject({
          method: 'POST',
          url: '/history/save',
          payload: { query, output: `out ${i}` },
          headers: {
            [identityHeader]: signIdentity({ userId: bob, roles: ['user'], requestId: `req-c${i}` }, secret),
          },
        }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      queries.map(() => 201),
    );
    const listed = (await app.inject({ url: '/history/list?limit=500', headers: as(bob) })).json();
    for (const query of queries)
      assert.ok(
        listed.some((e: { query: string }) => e.query === query),
        query,
      );
    assert.equal(await audit.pending(), outboxBefore + queries.length);
    const rows = await sql<{ payload: string }>`select payload from audit_outbox`.execute(database.db);
    const events = rows.rows.map(
      (r) => JSON.parse(r.payload) as { request_id: string; response_summary: { id: string } },
    );
    for (let i = 0; i < queries.length; i += 1) {
      const event = events.find((e) => e.request_id === `req-c${i}`);
      assert.equal(event?.response_summary.id, answers[i]?.json().id);
    }
  });

  test('stores an entry and its audit event together or not at all', async () => {
    const before = (await app.inject({ url: '/history/list?limit=500', headers: as(alice) })).json().length;
    await sql`drop table audit_outbox`.execute(database.db);
    const res = await save(alice, { query: 'atomic', output: 'x' });
    assert.equal(res.statusCode, 500);
    const after = (await app.inject({ url: '/history/list?limit=500', headers: as(alice) })).json();
    assert.equal(after.length, before);
    assert.ok(!after.some((e: { query: string }) => e.query === 'atomic'));
  });
});
