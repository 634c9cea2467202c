import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createServiceClient,
  identityHeader,
  runMigrations,
  serviceIdentity,
  signIdentity,
  type AuditEvent,
  type AuditOutbox,
} from '@ashapp/platform';
import {
  createCapturingLogger,
  createTestDatabase,
  getFreePort,
  startServiceProcess,
  waitFor,
  type ServiceProcess,
} from '@ashapp/platform/testing';
import type { MonitorTables } from './events/events-repository.ts';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
const secret = 'fault-test-secret-fault-test-secret-0123456789';
const total = 1000;

/** The service side: its own SQLite database with the platform's audit outbox, as every service runs it. */
async function createServiceSide(monitorUrl: string, batchSize: number) {
  const testDb = await createTestDatabase('sqlite');
  const database = createDatabase<unknown>({ url: testDb.url });
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const { log } = createCapturingLogger('history');
  const monitor = createServiceClient({
    name: 'monitor',
    baseUrl: monitorUrl,
    identitySecret: secret,
    log,
    timeoutMs: 2000,
    backoffMs: 20,
    breaker: { failureThreshold: 5, openMs: 200 },
  });
  const outbox = createAuditOutbox({
    database,
    service: 'history',
    monitor,
    log,
    batchSize,
    intervalMs: 50,
    maxBackoffMs: 300,
  });
  return { testDb, database, outbox };
}

async function recordEvents(outbox: AuditOutbox, count: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    ids.add(
      await outbox.record({
        user_id: `arn:aws:iam::111111111111:user/u${i % 7}`,
        endpoint: 'POST /history/save',
        action_type: 'history.save',
        request_data: { n: i, password: 'never-stored' },
        response_summary: { ok: true },
      }),
    );
  }
  return ids;
}

function startMonitor(port: number, dataDir: string): Promise<ServiceProcess> {
  return startServiceProcess({
    entry,
    port,
    env: {
      MONITOR_PORT: String(port),
      ASHAPP_DATA_DIR: dataDir,
      MONITOR_DATABASE_URL: `file:${path.join(dataDir, 'monitor.sqlite')}`,
      INTERNAL_AUTH_SECRET: secret,
      LOG_LEVEL: 'warn',
    },
  });
}

/** Reads the monitor's own database file (WAL lets a second process read while it writes). */
async function readStoredIds(dataDir: string): Promise<{ rows: number; ids: Set<string>; leaked: boolean }> {
  const database = createDatabase<MonitorTables>({ url: `file:${path.join(dataDir, 'monitor.sqlite')}` });
  try {
    const rows = await database.db.selectFrom('audit_events').select(['id', 'request_data']).execute();
    return {
      rows: rows.length,
      ids: new Set(rows.map((r) => r.id)),
      leaked: rows.some((r) => (r.request_data ?? '').includes('never-stored')),
    };
  } finally {
    await database.close();
  }
}

const polling = { timeoutMs: 30_000, intervalMs: 50 };

describe('audit outbox delivery to the monitor (fault test)', () => {
  let dataDir: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-monitor-fault-'));
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('delivers exactly the 1,000 events recorded while the monitor was down, none twice', async () => {
    const dir = path.join(dataDir, 'a');
    const port = await getFreePort();
    const side = await createServiceSide(`http://127.0.0.1:${port}`, 200);
    cleanups.push(
      () => side.database.close(),
      () => side.testDb.drop(),
    );
    side.outbox.start();
    cleanups.push(() => side.outbox.stop());

    const recorded = await recordEvents(side.outbox, total);
    // The shipper keeps failing meanwhile: nothing is lost.
    await delay(500);
    assert.equal(await side.outbox.pending(), total);
    const firstBatch = await side.database.db
      .withTables<{ audit_outbox: { payload: string; created_at: number; id: string } }>()
      .selectFrom('audit_outbox')
      .select('payload')
      .orderBy('created_at')
      .orderBy('id')
      .limit(200)
      .execute();

    const monitor = await startMonitor(port, dir);
    cleanups.push(() => monitor.stop());
    await waitFor('the outbox to drain', async () => (await side.outbox.pending()) === 0, polling);
    const stored = await readStoredIds(dir);
    assert.equal(stored.rows, total);
    assert.deepEqual(stored.ids, recorded);
    assert.equal(stored.leaked, false);

    // A batch delivered a second time (an acknowledgement lost on the way back) is stored once.
    const again = await fetch(`${monitor.url}/monitor/events/batch`, {
      method: 'POST',
      headers: {
        [identityHeader]: signIdentity(serviceIdentity('history', 'redelivery'), secret),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ events: firstBatch.map((r) => JSON.parse(r.payload) as AuditEvent) }),
    });
    assert.deepEqual(await again.json(), { stored: 0, duplicates: 200 });
    assert.equal((await readStoredIds(dir)).rows, total);
    assert.equal(await monitor.stop(), 0);
  });

  test('delivers each event once across a lost acknowledgement and a monitor killed mid-delivery', async () => {
    const dir = path.join(dataDir, 'b');
    const monitorPort = await getFreePort();
    // A relay between the outbox and the monitor that injects the faults at chosen batches.
    let batchNumber = 0;
    let duplicatesReported = 0;
    let releaseHeld: (() => void) | undefined;
    let held: Promise<void> | undefined;
    const relay: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          batchNumber += 1;
          const n = batchNumber;
          if (n === 4) {
            held = new Promise((resolve) => (releaseHeld = resolve));
            await held;
          }
          try {
            const upstream = await fetch(`http://127.0.0.1:${monitorPort}${req.url ?? '/'}`, {
              method: req.method ?? 'POST',
              headers: Object.fromEntries(
                Object.entries(req.headers).filter(
                  ([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length',
                ),
              ) as Record<string, string>,
              body: Buffer.concat(chunks),
            });
            const body = await upstream.text();
            if (upstream.ok) duplicatesReported += (JSON.parse(body) as { duplicates: number }).duplicates;
            // Batch 2 is stored by the monitor, but the answer never reaches the service.
            if (n === 2) return req.socket.destroy();
            res.writeHead(upstream.status, {
              'content-type': upstream.headers.get('content-type') ?? 'application/json',
            });
            res.end(body);
          } catch {
            req.socket.destroy();
          }
        })();
      });
    });
    const relayPort = await getFreePort();
    await new Promise<void>((resolve) => relay.listen(relayPort, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          releaseHeld?.();
          relay.closeAllConnections();
          relay.close(() => resolve());
        }),
    );

    const side = await createServiceSide(`http://127.0.0.1:${relayPort}`, 100);
    cleanups.push(
      () => side.database.close(),
      () => side.testDb.drop(),
    );
    const recorded = await recordEvents(side.outbox, total);
    let monitor = await startMonitor(monitorPort, dir);
    cleanups.push(() => monitor.stop());
    side.outbox.start();
    cleanups.push(() => side.outbox.stop());

    await waitFor('the fourth delivery to be held', () => releaseHeld !== undefined, {
      ...polling,
      timeoutMs: 15_000,
    });
    const before = await readStoredIds(dir);
    assert.ok(before.rows > 0 && before.rows < total, `stored ${before.rows} before the kill`);
    monitor.child.kill('SIGKILL');
    await monitor.stop();
    monitor = await startMonitor(monitorPort, dir);
    releaseHeld?.();

    await waitFor('the outbox to drain', async () => (await side.outbox.pending()) === 0, polling);
    const stored = await readStoredIds(dir);
    assert.equal(stored.rows, total);
    assert.deepEqual(stored.ids, recorded);
    // The batch whose answer was lost came back and was recognised, not stored again.
    assert.ok(duplicatesReported >= 100, `duplicates reported: ${duplicatesReported}`);
    await side.outbox.stop();
    assert.equal(await monitor.stop(), 0);
  });
});
