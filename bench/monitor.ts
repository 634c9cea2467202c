// Monitor service, built (`node dist/main.js`): single-event and batch ingest, and a 50-row page of events
// at 1,000,000 rows, on SQLite, MariaDB and PostgreSQL; each as a ratio to bare Node measured beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, createId, encodeCursor, identityHeader, signIdentity } from '@ashapp/platform';
import { createTestDatabase, getFreePort } from '@ashapp/platform/testing';
import { sql } from 'kysely';
import {
  createEventsRepository,
  type MonitorTables,
  type StoredEvent,
} from '../apps/monitor/src/events/events-repository.ts';
import { runWrk, startBuiltService, withPeakRss, type BenchContext, type BenchRow } from './lib.ts';
import { engines, rssBudgetMb, runScenario } from './service-scenarios.ts';

const secret = 'b'.repeat(43);
const user = 'arn:aws:iam::123456789012:user/bench';
const seededRows = 1_000_000;
const batchSize = 1000;
const batchTargetEventsPerSecond = 200_000;
const writeTarget = { ratio: 0.35, p99Ms: 10 };
const pageTarget = { ratio: 0.25, p99Ms: 10 };

function makeEvent(i: number, at: number): StoredEvent {
  return {
    id: createId(at),
    at,
    // Half the rows are the benchmark user's; the rest belong to 100 others.
    userId: i % 2 === 0 ? user : `arn:aws:iam::123456789012:user/other-${i % 100}`,
    service: ['gateway', 'assistant', 'deployer', 'history'][i % 4] ?? 'gateway',
    endpoint: 'POST /api/ask',
    actionType: ['ask', 'confirm', 'login', 'deploy'][i % 4] ?? 'ask',
    requestData: JSON.stringify({ query: `list ec2 instances ${i}` }),
    responseSummary: JSON.stringify({ status: 200 }),
    ipAddress: '127.0.0.1',
    userAgent: 'bench',
    requestId: null,
  };
}

export async function seedEvents(
  url: string,
  totalRows = seededRows,
): Promise<{ middle: { at: number; id: string } }> {
  const database = createDatabase<MonitorTables>({ url });
  const repo = createEventsRepository(database);
  const start = Date.UTC(2025, 0, 1);
  let middle = { at: 0, id: '' };
  for (let done = 0; done < totalRows; done += 5000) {
    const events = Array.from({ length: 5000 }, (_, k) => makeEvent(done + k, start + (done + k) * 10));
    const mid = events.find((_, k) => done + k === totalRows / 2);
    if (mid) middle = { at: mid.at, id: mid.id };
    await repo.insertMany(events);
  }
  if (database.dialect === 'sqlite') {
    await sql`analyze`.execute(database.db);
    // As for history: the seed leaves the WAL with a million rows; checkpoint before measuring pages.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
  }
  if (database.dialect === 'postgres') await sql`analyze audit_events`.execute(database.db);
  await database.close();
  return { middle };
}

export async function benchMonitor(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const asUser = {
    [identityHeader]: signIdentity({ userId: user, roles: ['user'], requestId: 'bench' }, secret, {
      ttlSeconds: 3600,
    }),
  };
  const asService = {
    [identityHeader]: signIdentity(
      { userId: 'service:bench', roles: ['service'], requestId: 'bench' },
      secret,
      {
        ttlSeconds: 3600,
      },
    ),
  };
  const event = {
    user_id: user,
    service: 'assistant',
    endpoint: 'POST /api/ask',
    action_type: 'ask',
    request_data: { query: 'list ec2 instance ids', password: 'hunter2' },
    response_summary: { status: 200, rows: 3 },
    ip_address: '127.0.0.1',
    user_agent: 'wrk',
  };
  const batchBody = JSON.stringify({ events: Array.from({ length: batchSize }, () => event) });

  for (const engine of engines) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-monitor-'));
    const testDb = await createTestDatabase(engine.dialect);
    const port = await getFreePort();
    const svc = await startBuiltService({
      name: 'monitor',
      port,
      env: {
        ASHAPP_DATA_DIR: dataDir,
        MONITOR_DATABASE_URL: testDb.url,
        INTERNAL_AUTH_SECRET: secret,
      },
    });
    try {
      ctx.log(`monitor/${engine.name}: POST /monitor/log`);
      rows.push(
        await runScenario(ctx, {
          scenario: 'POST /monitor/log (one event)',
          engine,
          pid: svc.pid,
          url: `${svc.url}/monitor/log`,
          wrk: {
            method: 'POST',
            body: JSON.stringify(event),
            headers: { ...asUser, 'content-type': 'application/json' },
          },
          target: writeTarget,
        }),
      );

      ctx.log(`monitor/${engine.name}: POST /monitor/events/batch (${batchSize} events each)`);
      const batch = await withPeakRss(svc.pid, () =>
        runWrk(`${svc.url}/monitor/events/batch`, {
          method: 'POST',
          body: batchBody,
          headers: { ...asService, 'content-type': 'application/json' },
          durationSeconds: ctx.durationSeconds,
          connections: 4,
        }),
      );
      const eventsPerSecond = batch.result.rps * batchSize;
      const batchMet =
        eventsPerSecond >= batchTargetEventsPerSecond &&
        batch.endRssMb <= rssBudgetMb &&
        batch.result.errors === 0;
      rows.push({
        scenario: `POST /monitor/events/batch, ${batchSize} events per request, 4 connections`,
        engine: engine.name,
        ...batch.result,
        rssMb: batch.endRssMb,
        target: engine.judged
          ? `≥ ${batchTargetEventsPerSecond.toLocaleString('en')} events/s, RSS ≤ ${rssBudgetMb} MB`
          : '(reported)',
        verdict: engine.judged ? (batchMet ? 'met' : 'missed') : '',
        note: `${Math.round(eventsPerSecond).toLocaleString('en')} events/s; peak RSS ${batch.peakRssMb} MB`,
      });

      ctx.log(`monitor/${engine.name}: seeding ${seededRows.toLocaleString('en')} events`);
      const seedStarted = Date.now();
      const { middle } = await seedEvents(testDb.url);
      ctx.log(`monitor/${engine.name}: seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
      for (const [label, query] of [
        ['first page', 'limit=50'],
        ['page from the middle (cursor)', `limit=50&cursor=${encodeCursor(middle)}`],
      ] as const) {
        rows.push(
          await runScenario(ctx, {
            scenario: `GET /monitor/events 50 rows at 1M rows, ${label}`,
            engine,
            pid: svc.pid,
            url: `${svc.url}/monitor/events?${query}`,
            wrk: { headers: asUser },
            target: pageTarget,
          }),
        );
      }
    } finally {
      await svc.stop();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}
