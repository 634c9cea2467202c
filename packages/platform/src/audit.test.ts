import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createAuditOutbox, createAuditOutboxMigrations, type AuditEvent } from './audit.ts';
import { createDatabase, runMigrations, type Database } from './database.ts';
import { createServiceClient } from './http-client.ts';
import { verifyIdentity, identityHeader } from './identity.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './testing/databases.ts';
import { createCapturingLogger } from './testing/logs.ts';

const secret = 'a'.repeat(40);

for (const dialect of testDialects) {
  describe(`audit outbox on ${dialect}`, () => {
    let testDb: TestDatabase;
    let database: Database<unknown>;
    let server: Server;
    let url: string;
    let up = false;
    const received: AuditEvent[] = [];

    before(async () => {
      testDb = await createTestDatabase(dialect);
      database = createDatabase({ url: testDb.url });
      await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          if (!up) return void res.writeHead(503).end();
          if (body.includes('"poison"')) return void res.writeHead(400).end();
          assert.equal(verifyIdentity(req.headers[identityHeader] as string, secret).roles[0], 'service');
          received.push(...(JSON.parse(body) as { events: AuditEvent[] }).events);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":1}');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      await testDb.drop();
    });

    test('keeps masked events while the monitor fails and delivers each once it answers', async () => {
      const { log } = createCapturingLogger();
      const monitor = createServiceClient({
        name: 'monitor',
        baseUrl: url,
        identitySecret: secret,
        log,
        retries: 0,
      });
      const outbox = createAuditOutbox({ database, service: 'svc', monitor, log, batchSize: 7 });
      for (let i = 0; i < 20; i += 1) {
        await outbox.record({
          user_id: 'u',
          endpoint: 'POST /x',
          action_type: 'test',
          request_data: { n: i, secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
        });
      }
      await assert.rejects(outbox.flush());
      assert.equal(await outbox.pending(), 20);
      up = true;
      assert.equal(await outbox.flush(), 20);
      assert.equal(await outbox.pending(), 0);
      assert.equal(received.length, 20);
      assert.equal(new Set(received.map((e) => e.id)).size, 20);
      assert.deepEqual(
        received.map((e) => (e.request_data as { n: number }).n).sort((a, b) => a - b),
        [...Array(20).keys()],
      );
      assert.ok(
        received.every(
          (e) => e.service === 'svc' && (e.request_data as { secret_key: string }).secret_key === '***',
        ),
      );
    });

    test('sets aside an event the monitor keeps refusing as invalid, without blocking the others', async () => {
      const { log, lines } = createCapturingLogger();
      const monitor = createServiceClient({
        name: 'monitor',
        baseUrl: url,
        identitySecret: secret,
        log,
        retries: 0,
      });
      const outbox = createAuditOutbox({ database, service: 'svc', monitor, log, maxRejections: 2 });
      received.length = 0;
      await outbox.record({ user_id: 'u', endpoint: 'POST /x', action_type: 'poison' });
      await outbox.record({ user_id: 'u', endpoint: 'POST /x', action_type: 'fine' });
      await assert.rejects(outbox.flush(), /refused/);
      await outbox.flush();
      assert.equal(await outbox.pending(), 0);
      assert.deepEqual(
        received.map((e) => e.action_type),
        ['fine'],
      );
      assert.ok(lines.some((l) => l.includes('dropping it')));
    });
  });
}
