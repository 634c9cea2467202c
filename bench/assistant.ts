// Assistant: the built-in planner over its request table, the AWS CLI's own start-up, and a read-only ask
// through the real gateway with each executor (warm workers, and one CLI child per call): end-to-end p50/p99
// and the platform's overhead (end-to-end minus the executor's own time); the warm worker's memory.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { startAwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import { findAwsCli } from '../apps/assistant/src/aws-cli/find-aws-cli.ts';
import { createWarmExecutor, findCliPython } from '../apps/assistant/src/aws-cli/warm-executor.ts';
import { createAwsModelCatalog } from '../apps/assistant/src/aws-models/model-catalog.ts';
import { validatePlan } from '../apps/assistant/src/aws-models/plan-validator.ts';
import { runPlannerTable } from '../apps/assistant/src/planning/planner-table.ts';
import { serviceEntry, startServices, type RunningServices } from '@ashapp/test-platform/services';
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

async function benchAsk(ctx: BenchContext, executor: 'warm' | 'cli'): Promise<BenchRow[]> {
  const standIn = await startAwsStandIn({ users: [benchUser] });
  let services: RunningServices | undefined;
  let gateway: ServiceProcess | undefined;
  try {
    services = await startServices(['monitor', 'history', 'assistant'], {
      ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
      ASSISTANT_EXECUTOR: executor,
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
    // The warm route is fast enough for a p99 worth the name; the CLI route pays ~1 s a call.
    const asks = executor === 'warm' ? 200 : Math.max(10, Math.min(40, ctx.durationSeconds * 4));
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
    ctx.log(`assistant (${executor}): ${asks} asks, end-to-end p50 ${percentile(totals, 50).toFixed(1)} ms`);
    const p50 = percentile(overheads, 50);
    const totalP50 = percentile(totals, 50);
    const totalP99 = percentile(totals, 99);
    const engine =
      executor === 'warm'
        ? 'warm executor (ASSISTANT_EXECUTOR=warm)'
        : 'AWS CLI per call (ASSISTANT_EXECUTOR=cli)';
    return [
      {
        scenario: `read-only ask through the gateway: end-to-end, ${asks} sequential asks`,
        engine,
        rps: 1000 / totalP50,
        p50Ms: totalP50,
        p99Ms: totalP99,
        ...(executor === 'warm'
          ? {
              target: 'p50 ≤ 250 ms, p99 ≤ 600 ms',
              verdict: totalP50 <= 250 && totalP99 <= 600 ? 'met' : 'missed',
            }
          : {}),
        note: `of which the executor: p50 ${percentile(cliTimes, 50).toFixed(0)} ms, p99 ${percentile(cliTimes, 99).toFixed(0)} ms (stand-in answers in < 1 ms); SQLite`,
      },
      {
        scenario: `read-only ask through the gateway: platform overhead (end-to-end − executor), ${asks} sequential asks`,
        engine,
        p50Ms: p50,
        p99Ms: percentile(overheads, 99),
        target: 'p50 ≤ 20 ms',
        verdict: p50 <= 20 ? 'met' : 'missed',
        note: 'gateway session + forward, identity, credential hand-off, planning, validation, history save, audit',
      },
    ];
  } finally {
    await gateway?.stop();
    await services?.stop();
    await standIn.close();
  }
}

async function readRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** One warm worker's resident memory after it has served a few services' calls. */
async function benchWorkerMemory(): Promise<BenchRow> {
  const standIn = await startAwsStandIn({ users: [benchUser], buckets: ['bench-bucket'] });
  const catalog = createAwsModelCatalog();
  const cli = await findAwsCli();
  const python = await findCliPython(cli.path);
  if (!python) throw new Error(`${cli.path} is not a Python script: no warm executor to measure`);
  const warm = createWarmExecutor({
    catalog,
    pythonPath: python,
    endpointUrl: standIn.url,
    poolSize: 1,
    timeoutMs: 30_000,
    maxOutputBytes: 5 * 1024 * 1024,
  });
  const keys = { accessKeyId: benchUser.accessKeyId, secretAccessKey: benchUser.secretAccessKey };
  try {
    const started = performance.now();
    await warm.start();
    const startMs = performance.now() - started;
    const [pid] = warm.workerPids();
    if (pid === undefined) throw new Error('no warm worker');
    const idleMb = await readRssMb(pid);
    const plans = [
      { service: 'sts', operation: 'get-caller-identity', parameters: {} },
      { service: 'ec2', operation: 'describe-instances', parameters: {} },
      { service: 's3api', operation: 'list-buckets', parameters: {} },
      { service: 'logs', operation: 'describe-log-groups', parameters: {} },
      { service: 'codebuild', operation: 'list-projects', parameters: {} },
    ];
    for (let round = 0; round < 20; round += 1) {
      for (const p of plans) await warm.run(validatePlan(catalog, { region: 'us-east-1', ...p }).plan, keys);
    }
    const usedMb = await readRssMb(pid);
    return {
      scenario: "warm executor: one worker (Python + the CLI's botocore)",
      engine: python,
      p50Ms: startMs,
      rssMb: usedMb,
      note: `start-up in the p50 column; RSS ${idleMb.toFixed(0)} MB idle, ${usedMb.toFixed(0)} MB after 100 calls over 5 services`,
    };
  } finally {
    await warm.close();
    await standIn.close();
  }
}

export async function benchAssistant(ctx: BenchContext): Promise<BenchRow[]> {
  const planner = benchPlanner();
  ctx.log(`assistant: planner p99 ${planner.p99Ms?.toFixed(3)} ms`);
  const cli = await benchCliStartup();
  const warm = await benchAsk(ctx, 'warm');
  const perCall = await benchAsk(ctx, 'cli');
  // Measured again after the asks, in the same run: the machine's load decides the CLI's start-up.
  const cliAfter = await benchCliStartup();
  const memory = await benchWorkerMemory();
  return [
    planner,
    ...warm,
    ...perCall,
    cli,
    { ...cliAfter, scenario: `${cliAfter.scenario}, after the asks` },
    memory,
  ];
}
