// Start-up time (spawn → first `GET /ready` 200) and idle RSS of each service, built (`node
// <serviceNodeOptions> dist/main.js`, as npm start and the images run it) and through tsx (`node --import tsx
// src/main.ts`, as npm run dev). Idle RSS is read after one request (`GET /metrics`, what a scraper asks an
// idle service every few seconds) and a few idle seconds. Each service runs alone on SQLite in a fresh folder;
// the figures are the median of a few starts. Run alone: `node --import tsx bench/startup.ts`, or as part of
// `npm run bench -- startup` (which writes docs/BENCHMARKS.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { serviceEnvironment, serviceNodeOptions } from '../scripts/build-plan.ts';
import { readRssMb, type BenchContext, type BenchRow } from './lib.ts';

const root = path.resolve(import.meta.dirname, '..');
const services = (process.env.STARTUP_SERVICES?.split(',') ?? [
  'gateway',
  'assistant',
  'deployer',
  'history',
  'monitor',
]) as readonly string[];
const runsPerMode = 3;
/** RSS is read after the service has been idle this long (timers, lazy modules and GC have settled). */
const idleMs = 3000;
const readyBudgetMs = 1000;
const rssBudgetMb = 90;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface Sample {
  readyMs: number;
  rssMb: number;
  /** The node flags the process runs with, from /proc (shows serviceNodeOptions in effect). */
  flags: string;
}

async function measureOnce(service: string, mode: 'built' | 'tsx'): Promise<Sample> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `ashapp-startup-${service}-`));
  const port = await freePort();
  const entry =
    mode === 'built'
      ? [...serviceNodeOptions, path.join(root, 'apps', service, 'dist', 'main.js')]
      : ['--import', 'tsx', path.join(root, 'apps', service, 'src', 'main.ts')];
  const started = performance.now();
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dataDir,
      ASHAPP_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      [`${service.toUpperCase()}_PORT`]: String(port),
      LOG_LEVEL: 'warn',
      ...(mode === 'built' ? serviceEnvironment : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  try {
    const deadline = started + 30_000;
    let readyMs: number | undefined;
    while (readyMs === undefined && performance.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) readyMs = performance.now() - started;
      } catch {
        // not listening yet
      }
      if (readyMs === undefined) await delay(10);
    }
    if (readyMs === undefined) throw new Error(`${service} (${mode}) was not ready in 30 s:\n${stderr}`);
    // One request of the kind every service answers, so the figure is a service that has served, not one
    // that has only started.
    const first = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    await first.arrayBuffer();
    await delay(idleMs);
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    const flags = argv.filter((a) => a.startsWith('--max-')).join(' ');
    return { readyMs, rssMb: readRssMb(child.pid!), flags };
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchStartup(ctx: Pick<BenchContext, 'log'>): Promise<BenchRow[]> {
  const missing = services.filter((s) => !existsSync(path.join(root, 'apps', s, 'dist', 'main.js')));
  if (missing.length > 0) throw new Error(`no build of ${missing.join(', ')}: run npm run build first`);
  const rows: BenchRow[] = [];
  for (const service of services) {
    for (const mode of ['built', 'tsx'] as const) {
      const samples: Sample[] = [];
      for (let i = 0; i < runsPerMode; i += 1) samples.push(await measureOnce(service, mode));
      const readyMs = median(samples.map((s) => s.readyMs));
      const rssMb = median(samples.map((s) => s.rssMb));
      const ok = readyMs <= readyBudgetMs && rssMb <= rssBudgetMb;
      ctx.log(`startup ${service} ${mode}: ready ${Math.round(readyMs)} ms, idle RSS ${rssMb} MB`);
      rows.push({
        scenario: `${service} start-up (spawn → /ready 200), idle RSS`,
        engine: mode === 'built' ? 'node dist/main.js' : 'node --import tsx',
        rssMb,
        target: mode === 'built' ? `≤ ${readyBudgetMs} ms, ≤ ${rssBudgetMb} MB` : 'reference',
        verdict: mode === 'built' ? (ok ? 'met' : 'missed') : '',
        note: `ready in ${Math.round(readyMs)} ms (median of ${runsPerMode})${samples[0]?.flags ? `; ${samples[0].flags}` : ''}`,
      });
    }
  }
  return rows;
}

if (import.meta.filename === process.argv[1]) {
  const rows = await benchStartup({ log: (m) => console.log(`[bench] ${m}`) });
  console.table(
    rows.map((r) => ({ service: r.scenario.split(' ')[0], engine: r.engine, rss: r.rssMb, note: r.note })),
  );
}
