// History service: save throughput, and a 50-row page at 1,000,000 rows, on SQLite and MariaDB.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, createId, encodeCursor, identityHeader, signIdentity } from '@ashapp/platform';
import { createTestDatabase, getFreePort, startServiceProcess } from '@ashapp/platform/testing';
import { sql } from 'kysely';
import { runWrk, withPeakRss, type BenchContext, type BenchRow } from './lib.ts';

const secret = 'b'.repeat(43);
const user = 'arn:aws:iam::123456789012:user/bench';
const totalRows = 1_000_000;

async function seedRows(url: string): Promise<{ middle: { at: number; id: string } }> {
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
  if (database.dialect === 'sqlite') await sql`analyze`.execute(database.db);
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
  for (const dialect of ['sqlite', 'mysql'] as const) {
    const engine = dialect === 'sqlite' ? 'SQLite' : 'MariaDB';
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-history-'));
    const testDb = await createTestDatabase(dialect);
    const port = await getFreePort();
    const svc = await startServiceProcess({
      entry: fileURLToPath(new URL('../apps/history/src/main.ts', import.meta.url)),
      port,
      env: {
        HISTORY_PORT: String(port),
        ASHAPP_DATA_DIR: dataDir,
        HISTORY_DATABASE_URL: testDb.url,
        INTERNAL_AUTH_SECRET: secret,
        MONITOR_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'warn',
      },
    });
    const pid = svc.child.pid ?? 0;
    try {
      ctx.log(`history/${engine}: POST /history/save`);
      const body = JSON.stringify({
        query: 'list ec2 instance ids',
        output: '[{"InstanceId":"i-0123456789abcdef0"}]',
      });
      const save = await withPeakRss(pid, () =>
        runWrk(`${svc.url}/history/save`, {
          method: 'POST',
          body,
          headers: { ...headers, 'content-type': 'application/json' },
          durationSeconds: ctx.durationSeconds,
        }),
      );
      rows.push({
        scenario: 'POST /history/save',
        engine,
        ...save.result,
        ratioToBare: save.result.rps / ctx.bareRps,
        rssMb: save.peakRssMb,
        target: dialect === 'sqlite' ? '≥ 30,000 req/s' : '(reported)',
        verdict: dialect === 'sqlite' ? (save.result.rps >= 30_000 ? 'met' : 'missed') : '',
      });

      ctx.log(`history/${engine}: seeding ${totalRows.toLocaleString('en')} rows`);
      const seedStarted = Date.now();
      const { middle } = await seedRows(testDb.url);
      ctx.log(`history/${engine}: seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
      for (const [label, query] of [
        ['first page', 'limit=50'],
        ['page from the middle (cursor)', `limit=50&cursor=${encodeCursor(middle)}`],
      ] as const) {
        const page = await withPeakRss(pid, () =>
          runWrk(`${svc.url}/history/list?${query}`, { headers, durationSeconds: ctx.durationSeconds }),
        );
        const met = page.result.rps >= 5000 && page.result.p99Ms <= 10;
        rows.push({
          scenario: `GET /history/list 50 rows at 1M rows, ${label}`,
          engine,
          ...page.result,
          ratioToBare: page.result.rps / ctx.bareRps,
          rssMb: page.peakRssMb,
          target: dialect === 'sqlite' ? '≥ 5,000 req/s, p99 ≤ 10 ms, RSS ≤ 200 MB' : '(reported)',
          verdict: dialect === 'sqlite' ? (met && page.peakRssMb <= 200 ? 'met' : 'missed') : '',
        });
      }
    } finally {
      await svc.stop();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}
