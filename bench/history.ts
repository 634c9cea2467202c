// History service, built (`node dist/main.js`): save throughput, and a 50-row page at 1,000,000 rows (first
// and from the middle), on SQLite, MariaDB and PostgreSQL; each as a ratio to bare Node measured beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, createId, encodeCursor, identityHeader, signIdentity } from '@ashapp/platform';
import { createTestDatabase, getFreePort } from '@ashapp/platform/testing';
import { sql } from 'kysely';
import { startBuiltService, type BenchContext, type BenchRow } from './lib.ts';
import { engines, runScenario } from './service-scenarios.ts';

const secret = 'b'.repeat(43);
const user = 'arn:aws:iam::123456789012:user/bench';
const seededRows = 1_000_000;
const writeTarget = { ratio: 0.35, p99Ms: 10 };
const pageTarget = { ratio: 0.25, p99Ms: 10 };

export async function seedRows(
  url: string,
  totalRows = seededRows,
): Promise<{ middle: { at: number; id: string } }> {
  const database = createDatabase<{ history_entries: Record<string, unknown> }>({ url });
  const start = Date.UTC(2025, 0, 1);
  const chunk = 1000;
  let middle = { at: 0, id: '' };
  const output = JSON.stringify({
    Reservations: [{ Instances: [{ InstanceId: 'i-0123456789abcdef0', State: 'running' }] }],
  });
  for (let done = 0; done < totalRows; done += chunk) {
    const rows = [];
    for (let i = done; i < done + chunk; i += 1) {
      const at = start + i * 10;
      const id = createId(at);
      // Half the rows are the benchmark user's; the rest belong to 100 others.
      const owner = i % 2 === 0 ? user : `arn:aws:iam::123456789012:user/other-${i % 100}`;
      if (i === totalRows / 2) middle = { at, id };
      rows.push({ id, user_id: owner, created_at: at, query: `list ec2 instances ${i}`, output });
    }
    await database.db.insertInto('history_entries').values(rows).execute();
  }
  if (database.dialect === 'sqlite') {
    await sql`analyze`.execute(database.db);
    // The seed's million rows sit in the WAL until a checkpoint: fold them into the database file now, so
    // the measured pages neither read through a huge WAL nor pay for the service's checkpoint.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
  }
  if (database.dialect === 'postgres') await sql`analyze history_entries`.execute(database.db);
  await database.close();
  return { middle };
}

export async function benchHistory(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const headers = {
    [identityHeader]: signIdentity({ userId: user, roles: ['user'], requestId: 'bench' }, secret, {
      ttlSeconds: 3600,
    }),
  };
  for (const engine of engines) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-history-'));
    const testDb = await createTestDatabase(engine.dialect);
    const port = await getFreePort();
    const svc = await startBuiltService({
      name: 'history',
      port,
      env: {
        ASHAPP_DATA_DIR: dataDir,
        HISTORY_DATABASE_URL: testDb.url,
        INTERNAL_AUTH_SECRET: secret,
        // No monitor: the audit events wait in the outbox, written in each save's transaction as always.
        MONITOR_URL: 'http://127.0.0.1:9',
      },
    });
    try {
      ctx.log(`history/${engine.name}: POST /history/save`);
      const body = JSON.stringify({
        query: 'list ec2 instance ids',
        output: '[{"InstanceId":"i-0123456789abcdef0"}]',
      });
      rows.push(
        await runScenario(ctx, {
          scenario: 'POST /history/save (entry + audit event, one transaction)',
          engine,
          pid: svc.pid,
          url: `${svc.url}/history/save`,
          wrk: { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } },
          target: writeTarget,
        }),
      );

      ctx.log(`history/${engine.name}: seeding ${seededRows.toLocaleString('en')} rows`);
      const seedStarted = Date.now();
      const { middle } = await seedRows(testDb.url);
      ctx.log(`history/${engine.name}: seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
      for (const [label, query] of [
        ['first page', 'limit=50'],
        ['page from the middle (cursor)', `limit=50&cursor=${encodeCursor(middle)}`],
      ] as const) {
        rows.push(
          await runScenario(ctx, {
            scenario: `GET /history/list 50 rows at 1M rows, ${label}`,
            engine,
            pid: svc.pid,
            url: `${svc.url}/history/list?${query}`,
            wrk: { headers },
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
