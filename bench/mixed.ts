// Mixed load through the gateway at a fixed rate: sign-in against the AWS stand-in, plan, a read-only ask
// executed against the AWS stand-in, a history page, an activity page, a save — for 60 s (MIXED_SECONDS),
// every service built (`node dist/main.js`) on SQLite. The generator is open-loop: requests leave on a
// schedule whatever the answers do, and each latency counts from its scheduled time, so a stall shows up
// as latency of the requests behind it (no coordinated omission). Per route: p50/p99 and errors; per
// service: RSS in the first and the last 20 s, after a warm-up at the same rate (MIXED_WARMUP_SECONDS, 60 s).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort } from '@ashapp/platform/testing';
import {
  readRssMb,
  readStatusKb,
  startBuiltService,
  type BenchContext,
  type BenchRow,
  type BuiltService,
} from './lib.ts';

const benchUser = {
  accessKeyId: 'AKIASTANDINBENCH0001',
  secretAccessKey: 'bench-secret-key-00000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/bench',
  account: '111122223333',
};
// What this 2-core machine carries beside its other work; 100 req/s overloaded it (p50 0.5 s, timeouts).
const rate = Number(process.env.MIXED_RATE ?? 30);
const seconds = Number(process.env.MIXED_SECONDS ?? 60);
/**
 * The same load for this long before the measured seconds: a service that has just started grows its V8
 * heap and compiled code to what the load needs over its first minute or so (ADR 0032); "flat" is about
 * what happens after that. Requests of the warm-up count as errors if they fail, but not in the latencies.
 */
const warmupSeconds = Number(process.env.MIXED_WARMUP_SECONDS ?? 60);
/** RSS windows compared: the first and the last this many seconds. */
const windowSeconds = 20;
/** RSS counts as flat when the last window's peak is at most this much above the first's. */
const rssToleranceMb = 5;
/** How often each service's memory is broken down (anonymous vs file-backed RSS, V8 heap from /metrics). */
const breakdownEverySeconds = 5;
/** Requests in flight beyond this are not sent but counted as errors: the generator stays bounded. */
const maxInFlight = 512;

interface Route {
  name: string;
  weight: number;
  send(base: string, token: string): Promise<Response>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function signIn(base: string): Promise<Response> {
  return fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      access_key: benchUser.accessKeyId,
      secret_key: benchUser.secretAccessKey,
      region: 'us-east-1',
    }),
  });
}

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

const routes: Route[] = [
  { name: 'POST /api/login (sign-in, STS stand-in)', weight: 5, send: (base) => signIn(base) },
  {
    name: 'POST /api/plan',
    weight: 15,
    send: (base, token) =>
      fetch(`${base}/api/plan`, {
        method: 'POST',
        headers: json(token),
        body: JSON.stringify({ query: 'list ec2 instance ids' }),
      }),
  },
  {
    name: 'POST /api/ask (read-only, EC2 stand-in)',
    weight: 10,
    send: (base, token) =>
      fetch(`${base}/api/ask`, {
        method: 'POST',
        headers: json(token),
        body: JSON.stringify({ query: 'list ec2 instance ids' }),
      }),
  },
  {
    name: 'GET /api/history (50 rows)',
    weight: 30,
    send: (base, token) =>
      fetch(`${base}/api/history?limit=50`, { headers: { authorization: `Bearer ${token}` } }),
  },
  {
    name: 'GET /api/monitor/events (activity, 50 rows)',
    weight: 20,
    send: (base, token) =>
      fetch(`${base}/api/monitor/events?limit=50`, { headers: { authorization: `Bearer ${token}` } }),
  },
  {
    name: 'POST history save',
    weight: 20,
    send: (base, token) =>
      fetch(`${base}/services/history/history/save`, {
        method: 'POST',
        headers: json(token),
        body: JSON.stringify({ query: 'list ec2 instance ids', output: '[{"InstanceId":"i-0abc"}]' }),
      }),
  },
];

interface MemoryBreakdown {
  t: number;
  /** Anonymous RSS (heaps: V8's, glibc's, SQLite's caches), MB. */
  anonMb: number;
  /** File-backed RSS (node, libraries, mapped files), MB. */
  fileMb: number;
  /** V8 heap committed and in use (prom-client's `nodejs_heap_size_*_bytes`), MB. */
  heapTotalMb: number;
  heapUsedMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** What a service's RSS is made of now: /proc for the kernel's view, its own /metrics for V8's. */
async function readMemoryBreakdown(svc: BuiltService, t: number): Promise<MemoryBreakdown> {
  const [anonKb = NaN, fileKb = NaN] = readStatusKb(svc.pid, ['RssAnon', 'RssFile']);
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN);
  return {
    t,
    anonMb: mb(anonKb * 1024),
    fileMb: mb(fileKb * 1024),
    heapTotalMb: mb(gauge('nodejs_heap_size_total_bytes')),
    heapUsedMb: mb(gauge('nodejs_heap_size_used_bytes')),
  };
}

/**
 * A line for the notes: each part of the memory when the warm-up began, when the measured part began, and
 * at the end (t is seconds since the measured part began; the warm-up's samples are negative).
 */
function describeBreakdown(samples: readonly MemoryBreakdown[]): string {
  const warm = samples[0];
  const first = samples.find((s) => s.t >= 0);
  const last = samples.at(-1);
  if (!warm || !first || !last) return 'no breakdown';
  const lowestUsed = (from: number, to: number) =>
    Math.min(...samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.heapUsedMb));
  const parts = (b: MemoryBreakdown) => `${b.anonMb} / ${b.heapTotalMb}`;
  return (
    `anon RSS / V8 heap committed, MB: warm-up ${parts(warm)}, start ${parts(first)}, end ${parts(last)}; ` +
    `file-backed ${first.fileMb} → ${last.fileMb}; lowest V8 heap used in the first / last ${windowSeconds} s ` +
    `${lowestUsed(0, windowSeconds)} / ${lowestUsed(last.t - windowSeconds, last.t)}`
  );
}

/** The routes in a fixed order that repeats every 100 requests, each as often as its weight. */
function buildSchedule(): Route[] {
  const total = routes.reduce((a, r) => a + r.weight, 0);
  const slots: Array<{ at: number; route: Route }> = [];
  for (const route of routes)
    for (let i = 0; i < route.weight; i += 1) slots.push({ at: (i + 0.5) / route.weight, route });
  slots.sort((a, b) => a.at - b.at);
  if (slots.length !== total) throw new Error('schedule');
  return slots.map((s) => s.route);
}

export async function benchMixed(ctx: BenchContext): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-mixed-'));
  const secret = randomBytes(32).toString('base64url');
  const standIn = await startAwsStandIn({ users: [benchUser] });
  const services: Array<{ name: string; svc: BuiltService }> = [];
  try {
    const names = ['monitor', 'history', 'assistant', 'gateway'] as const;
    const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await getFreePort()])));
    const shared: Record<string, string> = {
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      DEPLOYER_URL: 'http://127.0.0.1:9',
      ...Object.fromEntries(names.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}`])),
    };
    const own: Record<string, Record<string, string>> = {
      assistant: { ASSISTANT_AWS_ENDPOINT_URL: standIn.url, ASSISTANT_EXECUTOR: 'warm' },
      gateway: {
        AWS_ENDPOINT_URL_STS: standIn.url,
        // One user from one address: the limits are not what is measured.
        RATE_LIMIT_USER_MAX: '1000000000',
        RATE_LIMIT_IP_MAX: '1000000000',
        LOGIN_RATE_LIMIT_MAX: '1000000000',
      },
    };
    for (const name of names) {
      const svc = await startBuiltService({ name, port: ports[name], env: { ...shared, ...own[name] } });
      services.push({ name, svc });
    }
    const gateway = services.find((s) => s.name === 'gateway')?.svc;
    if (!gateway) throw new Error('no gateway');
    const login = await signIn(gateway.url);
    if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    // Warm-up: every route answers, the ask worker has started, the pages are not empty.
    for (let i = 0; i < 3; i += 1) {
      for (const route of routes) {
        const res = await route.send(gateway.url, token);
        await res.arrayBuffer();
        if (res.status >= 400) throw new Error(`warm-up: ${route.name} answered ${res.status}`);
      }
    }
    ctx.log(`mixed: ${rate} req/s for ${warmupSeconds} s of warm-up, then ${seconds} s through the gateway`);

    const schedule = buildSchedule();
    const latencies = new Map<Route, number[]>(routes.map((r) => [r, []]));
    const errors = new Map<Route, number>(routes.map((r) => [r, 0]));
    /** What the errors were: status codes, or the client's error name (a timeout, a reset). */
    const causes = new Map<Route, Map<string, number>>(routes.map((r) => [r, new Map()]));
    const countCause = (route: Route, cause: string) => {
      const byCause = causes.get(route);
      byCause?.set(cause, (byCause.get(cause) ?? 0) + 1);
    };
    const rss = new Map<string, Array<{ t: number; mb: number }>>(services.map((s) => [s.name, []]));
    const breakdowns = new Map<string, MemoryBreakdown[]>(services.map((s) => [s.name, []]));
    const sampling = new Set<Promise<void>>();
    let nextBreakdownAt = -warmupSeconds;
    let inFlight = 0;
    let sent = 0;
    const started = performance.now();
    const pending = new Set<Promise<void>>();
    const warmupTotal = Math.round(rate * warmupSeconds);
    const total = warmupTotal + Math.round(rate * seconds);
    let warmupErrors = 0;
    let nextRssAt = -warmupSeconds;
    while (sent < total) {
      const now = performance.now();
      // Seconds since the measured part began (negative during the warm-up).
      const elapsed = (now - started) / 1000 - warmupSeconds;
      if (elapsed >= nextRssAt) {
        for (const { name, svc } of services) rss.get(name)?.push({ t: elapsed, mb: readRssMb(svc.pid) });
        nextRssAt += 1;
      }
      if (elapsed >= nextBreakdownAt) {
        nextBreakdownAt += breakdownEverySeconds;
        for (const { name, svc } of services) {
          // A missed sample is a gap in the series, not a failed run.
          const sample = readMemoryBreakdown(svc, elapsed).then(
            (b) => void breakdowns.get(name)?.push(b),
            () => undefined,
          );
          sampling.add(sample);
          void sample.finally(() => sampling.delete(sample));
        }
      }
      const due = Math.min(total, Math.floor((elapsed + warmupSeconds) * rate) + 1);
      for (; sent < due; sent += 1) {
        const route = schedule[sent % schedule.length] as Route;
        const scheduledAt = started + (sent / rate) * 1000;
        const measured = sent >= warmupTotal;
        if (inFlight >= maxInFlight) {
          if (!measured) warmupErrors += 1;
          else {
            errors.set(route, (errors.get(route) ?? 0) + 1);
            countCause(route, 'not sent (in-flight bound)');
          }
          continue;
        }
        inFlight += 1;
        const request = (async () => {
          try {
            const res = await route.send(gateway.url, token);
            await res.arrayBuffer();
            if (!measured) {
              if (res.status >= 400) warmupErrors += 1;
            } else if (res.status >= 400) {
              errors.set(route, (errors.get(route) ?? 0) + 1);
              countCause(route, String(res.status));
            } else latencies.get(route)?.push(performance.now() - scheduledAt);
          } catch (err) {
            if (!measured) {
              warmupErrors += 1;
              return;
            }
            errors.set(route, (errors.get(route) ?? 0) + 1);
            const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
            countCause(route, cause);
          } finally {
            inFlight -= 1;
          }
        })();
        pending.add(request);
        void request.finally(() => pending.delete(request));
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(pending);
    const elapsedSeconds = (performance.now() - started) / 1000 - warmupSeconds;
    for (const { name, svc } of services) rss.get(name)?.push({ t: elapsedSeconds, mb: readRssMb(svc.pid) });
    for (const { name, svc } of services)
      breakdowns.get(name)?.push(await readMemoryBreakdown(svc, elapsedSeconds));
    await Promise.all(sampling);

    for (const [name, samples] of breakdowns) {
      const series = samples
        .sort((a, b) => a.t - b.t)
        .map((b) => `${Math.round(b.t)}s ${b.anonMb}/${b.heapTotalMb}/${b.heapUsedMb}`);
      ctx.log(`mixed: ${name} memory, anon RSS / V8 committed / V8 used MB: ${series.join(', ')}`);
    }
    const rows: BenchRow[] = [];
    for (const route of routes) {
      const sorted = [...(latencies.get(route) ?? [])].sort((a, b) => a - b);
      const errs = errors.get(route) ?? 0;
      rows.push({
        scenario: `mixed: ${route.name}`,
        engine: 'SQLite',
        rps: (sorted.length + errs) / elapsedSeconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        target: '0 errors',
        verdict: errs === 0 ? 'met' : 'missed',
        note: `${sorted.length + errs} requests, ${errs} errors${
          errs > 0
            ? ` (${[...(causes.get(route) ?? new Map<string, number>()).entries()].map(([c, n]) => `${c}: ${n}`).join(', ')})`
            : ''
        }`,
      });
    }
    for (const { name } of services) {
      const samples = rss.get(name) ?? [];
      const first = samples.filter((s) => s.t >= 0 && s.t <= windowSeconds).map((s) => s.mb);
      const warmupStart = samples[0]?.mb ?? NaN;
      const last = samples.filter((s) => s.t >= elapsedSeconds - windowSeconds).map((s) => s.mb);
      const firstPeak = Math.max(...first);
      const lastPeak = Math.max(...last);
      const end = samples.at(-1)?.mb ?? NaN;
      rows.push({
        scenario: `mixed: ${name} RSS, first vs last ${windowSeconds} s`,
        engine: 'node dist/main.js',
        rssMb: end,
        target: `flat (≤ +${rssToleranceMb} MB), ≤ 120 MB`,
        verdict: lastPeak <= firstPeak + rssToleranceMb && end <= 120 ? 'met' : 'missed',
        note:
          `${warmupStart} MB when the warm-up began; peak ${firstPeak} MB in the first ${windowSeconds} s, ` +
          `${lastPeak} MB in the last; ${end} MB at the end; ` +
          describeBreakdown((breakdowns.get(name) ?? []).sort((a, b) => a.t - b.t)),
      });
    }
    rows.push({
      scenario: `mixed: warm-up, all routes at ${rate} req/s for ${warmupSeconds} s before the measured part`,
      target: '0 errors',
      verdict: warmupErrors === 0 ? 'met' : 'missed',
      note: `${warmupTotal} requests, ${warmupErrors} errors`,
    });
    rows.push({
      scenario: `mixed: all routes at a fixed ${rate} req/s for ${seconds} s`,
      rps: (sent - warmupTotal) / elapsedSeconds,
      note: `${sent - warmupTotal} requests scheduled after the warm-up; latency from each request's scheduled time`,
    });
    return rows;
  } finally {
    for (const { svc } of services.reverse()) await svc.stop();
    await standIn.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
