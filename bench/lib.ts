// Shared benchmark tools: wrk as the load generator, a bare Node server as the baseline, RSS sampling.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serviceEnvironment, serviceNodeOptions } from '../scripts/build-plan.ts';

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
}

export interface WrkOptions {
  connections?: number;
  durationSeconds?: number;
  threads?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

const workDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-'));
let scriptCount = 0;

function luaString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function parseLatencyMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
}

/** Runs wrk against one URL (bounded by its duration) and returns throughput and latency percentiles. */
export async function runWrk(url: string, options: WrkOptions = {}): Promise<LoadResult> {
  scriptCount += 1;
  const script = path.join(workDir, `s${scriptCount}.lua`);
  const lines = [`wrk.method = "${options.method ?? 'GET'}"`];
  for (const [k, v] of Object.entries(options.headers ?? {}))
    lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`);
  // Count non-2xx answers: wrk reports them but a benchmark must not quietly measure error pages.
  lines.push('local bad = 0', 'response = function(status) if status >= 400 then bad = bad + 1 end end');
  writeFileSync(script, `${lines.join('\n')}\n`);
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections ?? 16}`,
    `-d${options.durationSeconds ?? 8}s`,
    '--latency',
    '-s',
    script,
    url,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const p50Ms = parseLatencyMs(/\s50%\s+(\S+)/.exec(output)?.[1] ?? '');
  const p99Ms = parseLatencyMs(/\s99%\s+(\S+)/.exec(output)?.[1] ?? '');
  return { rps, p50Ms, p99Ms, errors, requests };
}

/** A bare Node `http` server answering a fixed JSON: the ceiling each figure is compared with. */
export async function startBareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify({ status: 'ok', items: [] });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resident set size of a process in MB, from /proc. */
/** Fields of `/proc/<pid>/status` in kB (`VmRSS`, `RssAnon`, `RssFile` …), NaN where missing. */
export function readStatusKb(pid: number, fields: readonly string[]): number[] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return fields.map((field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN));
}

export function readRssMb(pid: number): number {
  const [kb = NaN] = readStatusKb(pid, ['VmRSS']);
  return Math.round(kb / 1024);
}

/**
 * Samples a process's RSS every 250 ms while `work` runs; returns the work's result, the peak, and the RSS
 * at the end of the work (what the "≤ 120 MB at the end of its load run" reads).
 */
export async function withPeakRss<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; peakRssMb: number; endRssMb: number }> {
  let peak = readRssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, readRssMb(pid));
    } catch {
      // the process ended; keep the last reading
    }
  }, 250);
  try {
    const result = await work();
    const end = readRssMb(pid);
    return { result, peakRssMb: Math.max(peak, end), endRssMb: end };
  } finally {
    clearInterval(timer);
  }
}

export interface BenchRow {
  scenario: string;
  engine?: string;
  rps?: number;
  p50Ms?: number;
  p99Ms?: number;
  ratioToBare?: number;
  rssMb?: number;
  target?: string;
  verdict?: string;
  note?: string;
}

export interface BenchContext {
  /** Requests per second of the bare Node server in this run. */
  bareRps: number;
  /**
   * Measures the bare Node server again now (same duration and connections as a scenario). On a machine
   * shared with other work the bare figure moves 2–3× within minutes; a ratio to the figure measured next
   * to the scenario compares like with like.
   */
  measureBare(): Promise<LoadResult>;
  durationSeconds: number;
  log(message: string): void;
}

const root = path.resolve(import.meta.dirname, '..');

/** Bundles the named services (`npm run build` without the web app) so benchmarks run what ships. */
export async function buildServices(names: readonly string[]): Promise<void> {
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts', 'build.ts'), '--no-web', ...names],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`building ${names.join(', ')} failed (exit ${code})`);
}

export interface BuiltService {
  url: string;
  pid: number;
  child: ChildProcess;
  /** What the service wrote to stderr (the last 64 KB). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts a service from its bundle (`node <serviceNodeOptions> apps/<name>/dist/main.js`, `serviceEnvironment`), as `npm start`
 * and the images run it, with the production default log level: its access log is written (to /dev/null), as in production.
 */
export async function startBuiltService(options: {
  name: string;
  port: number;
  env: Record<string, string>;
  timeoutMs?: number;
  /** Extra Node flags (profiling: `--cpu-prof`, `--trace-gc`). */
  nodeArgs?: readonly string[];
  /** Where the service's stdout goes (`--trace-gc` writes there); default nowhere. */
  stdoutFile?: string;
}): Promise<BuiltService> {
  const entry = path.join(root, 'apps', options.name, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  const stdout = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
  const child = spawn(process.execPath, [...serviceNodeOptions, ...(options.nodeArgs ?? []), entry], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'info',
      ...serviceEnvironment,
      [`${options.name.toUpperCase()}_PORT`]: String(options.port),
      ...options.env,
    },
    stdio: ['ignore', stdout, 'pipe'],
  });
  if (typeof stdout === 'number') closeSync(stdout);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-65_536);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited before answering:\n${stderr}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { url, pid: child.pid ?? 0, child, stderr: () => stderr, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${options.name} did not answer /health in time:\n${stderr}`);
}
