// Assistant: the built-in planner over its request table, the AWS CLI's own start-up, and the platform's
// overhead on a read-only ask through the real gateway (end-to-end time minus the CLI child's own time).
import { execFile } from 'node:child_process';
import { startAwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import { runPlannerTable } from '../apps/assistant/src/planning/planner-table.ts';
import { serviceEntry, startServices, type RunningServices } from '../apps/gateway/test/services.ts';
import type { BenchContext, BenchRow } from './lib.ts';

const AWS_CLI = '/usr/bin/aws';
const benchUser = {
  accessKeyId: 'AKIASTANDINBENCH0001',
  secretAccessKey: 'bench-secret-key-00000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/bench',
  account: '111122223333',
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function timeCliVersion(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(AWS_CLI, ['--version'], { env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } }, (err) => {
      if (err) reject(err);
      else resolve(performance.now() - started);
    });
  });
}

function benchPlanner(): BenchRow {
  // Warm the JIT and the rule regexes first; the table test reports accuracy, the bench reports time.
  for (let i = 0; i < 3; i += 1) runPlannerTable();
  const durations: number[] = [];
  let passed = 0;
  let total = 0;
  const rounds = 20;
  for (let i = 0; i < rounds; i += 1) {
    const report = runPlannerTable();
    durations.push(...report.durationsMs);
    passed = report.passed;
    total = report.total;
  }
  const sum = durations.reduce((a, b) => a + b, 0);
  const p99 = percentile(durations, 99);
  return {
    scenario: `built-in planner over the ${total}-request table (${rounds} rounds)`,
    engine: 'in-process',
    rps: (durations.length / sum) * 1000,
    p50Ms: percentile(durations, 50),
    p99Ms: p99,
    target: 'p99 ≤ 2 ms',
    verdict: p99 <= 2 ? 'met' : 'missed',
    note: `accuracy ${passed}/${total}`,
  };
}

async function benchCliStartup(): Promise<BenchRow> {
  const durations: number[] = [];
  for (let i = 0; i < 5; i += 1) durations.push(await timeCliVersion());
  return {
    scenario: 'AWS CLI v2 start-up (`aws --version`, 5 runs)',
    engine: AWS_CLI,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    note: 'paid by every executed plan; not platform overhead',
  };
}

async function benchAskOverhead(ctx: BenchContext): Promise<BenchRow[]> {
  const standIn = await startAwsStandIn({ users: [benchUser] });
  let services: RunningServices | undefined;
  let gateway: ServiceProcess | undefined;
  try {
    services = await startServices(['monitor', 'history', 'assistant'], {
      ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
      LOG_LEVEL: 'warn',
    });
    const port = await getFreePort();
    gateway = await startServiceProcess({
      entry: serviceEntry('gateway'),
      port,
      env: {
        GATEWAY_PORT: String(port),
        ASHAPP_DATA_DIR: services.dataDir,
        INTERNAL_AUTH_SECRET: services.secret,
        AWS_ENDPOINT_URL_STS: standIn.url,
        HISTORY_URL: services.urls.history ?? '',
        MONITOR_URL: services.urls.monitor ?? '',
        ASSISTANT_URL: services.urls.assistant ?? '',
        LOG_LEVEL: 'warn',
        // Sequential asks from one user are the point here, not the rate limit.
        RATE_LIMIT_USER_MAX: '100000',
      },
    });
    const login = await fetch(`${gateway.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        access_key: benchUser.accessKeyId,
        secret_key: benchUser.secretAccessKey,
        region: 'us-east-1',
      }),
    });
    if (login.status !== 200) throw new Error(`bench sign-in failed: ${login.status}`);
    const { token } = (await login.json()) as { token: string };
    const asks = Math.max(10, Math.min(40, ctx.durationSeconds * 4));
    const totals: number[] = [];
    const overheads: number[] = [];
    const cliTimes: number[] = [];
    for (let i = 0; i < asks + 2; i += 1) {
      const started = performance.now();
      const res = await fetch(`${gateway.url}/api/ask`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'list ec2 instance ids' }),
      });
      await res.arrayBuffer();
      const total = performance.now() - started;
      if (res.status !== 200) throw new Error(`ask answered ${res.status}`);
      const cli = Number(/aws-cli;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]);
      if (!Number.isFinite(cli)) throw new Error('no Server-Timing from the assistant');
      // The first two asks warm the catalog, connections and JIT; they are not counted.
      if (i < 2) continue;
      totals.push(total);
      cliTimes.push(cli);
      overheads.push(total - cli);
    }
    ctx.log(`assistant: ${asks} asks, overhead p50 ${percentile(overheads, 50).toFixed(1)} ms`);
    const p50 = percentile(overheads, 50);
    return [
      {
        scenario: `read-only ask through the gateway: platform overhead (end-to-end − CLI), ${asks} sequential asks`,
        engine: 'SQLite',
        p50Ms: p50,
        p99Ms: percentile(overheads, 99),
        target: 'p50 ≤ 20 ms',
        verdict: p50 <= 20 ? 'met' : 'missed',
        note: 'gateway session + forward, identity, credential hand-off, planning, validation, history save, audit',
      },
      {
        scenario: 'read-only ask through the gateway: end-to-end',
        engine: 'SQLite',
        rps: 1000 / percentile(totals, 50),
        p50Ms: percentile(totals, 50),
        p99Ms: percentile(totals, 99),
        note: `of which the AWS CLI child: p50 ${percentile(cliTimes, 50).toFixed(0)} ms (stand-in answers in < 1 ms)`,
      },
    ];
  } finally {
    await gateway?.stop();
    await services?.stop();
    await standIn.close();
  }
}

export async function benchAssistant(ctx: BenchContext): Promise<BenchRow[]> {
  const planner = benchPlanner();
  ctx.log(`assistant: planner p99 ${planner.p99Ms?.toFixed(3)} ms`);
  const cli = await benchCliStartup();
  const ask = await benchAskOverhead(ctx);
  return [planner, ...ask, cli];
}
