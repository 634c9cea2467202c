// One scenario of the history/monitor benchmarks against a built service, for profiling a change: prints the
// wrk figures beside a bare Node run and, with --prof, writes a `--cpu-prof` profile of the service.
// Usage: node --import tsx bench/probe.ts <scenario> [--engine sqlite|mysql|postgres] [--seconds N]
//          [--rows N] [--prof DIR] [--trace-gc] [--connections N]
//   scenarios: save, history-first, history-middle, log, batch, events-first, events-middle
// It runs `apps/<service>/dist/main.js` as it is: build first (`npm run build -- --no-web history monitor`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCursor, identityHeader, signIdentity, type Dialect, type Role } from '@ashapp/platform';
import { createTestDatabase, getFreePort } from '@ashapp/platform/testing';
import { seedRows } from './history.ts';
import { readRssMb, runWrk, startBareServer, startBuiltService, type WrkOptions } from './lib.ts';
import { seedEvents } from './monitor.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '8' },
    rows: { type: 'string', default: '1000000' },
    prof: { type: 'string' },
    'trace-gc': { type: 'boolean', default: false },
    connections: { type: 'string' },
  },
});
const scenario = positionals[0] ?? 'batch';
const service = ['save', 'history-first', 'history-middle'].includes(scenario) ? 'history' : 'monitor';
const dialect = values.engine as Dialect;
const seconds = Number(values.seconds);
const secret = 'b'.repeat(43);
const user = 'arn:aws:iam::123456789012:user/bench';
const sign = (userId: string, roles: Role[]) => ({
  [identityHeader]: signIdentity({ userId, roles, requestId: 'bench' }, secret, { ttlSeconds: 3600 }),
});
const asUser = sign(user, ['user']);
const asService = sign('service:bench', ['service']);
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

/** CPU time (user + system) a process has used so far, in ms (from /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-probe-'));
const testDb = await createTestDatabase(dialect);
const port = await getFreePort();
const nodeArgs = [
  ...(values.prof ? ['--cpu-prof', `--cpu-prof-dir=${values.prof}`] : []),
  ...(values['trace-gc'] ? ['--trace-gc'] : []),
];
const svc = await startBuiltService({
  name: service,
  port,
  nodeArgs,
  env: {
    ASHAPP_DATA_DIR: dataDir,
    [`${service.toUpperCase()}_DATABASE_URL`]: testDb.url,
    INTERNAL_AUTH_SECRET: secret,
    MONITOR_URL: 'http://127.0.0.1:9',
  },
});
try {
  let url = `${svc.url}/monitor/events/batch`;
  let wrk: WrkOptions = {};
  let perRequest = 1;
  if (scenario === 'batch') {
    perRequest = 1000;
    wrk = {
      method: 'POST',
      connections: 4,
      body: JSON.stringify({ events: Array.from({ length: 1000 }, () => event) }),
      headers: { ...asService, 'content-type': 'application/json' },
    };
  } else if (scenario === 'log') {
    url = `${svc.url}/monitor/log`;
    wrk = {
      method: 'POST',
      body: JSON.stringify(event),
      headers: { ...asUser, 'content-type': 'application/json' },
    };
  } else if (scenario === 'save') {
    url = `${svc.url}/history/save`;
    wrk = {
      method: 'POST',
      body: JSON.stringify({
        query: 'list ec2 instance ids',
        output: '[{"InstanceId":"i-0123456789abcdef0"}]',
      }),
      headers: { ...asUser, 'content-type': 'application/json' },
    };
  } else {
    const rows = Number(values.rows);
    const started = Date.now();
    const { middle } =
      service === 'history' ? await seedRows(testDb.url, rows) : await seedEvents(testDb.url, rows);
    console.log(`seeded ${rows} rows in ${Date.now() - started} ms`);
    const query = scenario.endsWith('middle') ? `limit=50&cursor=${encodeCursor(middle)}` : 'limit=50';
    url = `${svc.url}/${service === 'history' ? 'history/list' : 'monitor/events'}?${query}`;
    wrk = { headers: asUser };
  }
  if (values.connections) wrk.connections = Number(values.connections);
  const bare = await startBareServer();
  const bareRun = await runWrk(bare.url, { durationSeconds: Math.min(seconds, 5) });
  await bare.close();
  await runWrk(url, { ...wrk, durationSeconds: 1 });
  const cpuBefore = cpuMs(svc.pid);
  const run = await runWrk(url, { ...wrk, durationSeconds: seconds });
  const cpuUsed = cpuMs(svc.pid) - cpuBefore;
  const ratio = run.rps / bareRun.rps;
  // The service's own CPU per request: what a change saves, whatever else the shared machine runs.
  const perRequestUs = (1000 * cpuUsed) / run.requests;
  console.log(
    `${scenario} ${dialect}: ${Math.round(run.rps * perRequest)} ${perRequest > 1 ? 'events' : 'req'}/s, ` +
      `p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, errors ${run.errors}; bare ${Math.round(bareRun.rps)} req/s, ` +
      `ratio ${ratio.toFixed(3)}; service CPU ${perRequestUs.toFixed(0)} µs/request ` +
      `(${((1e6 / perRequestUs) * perRequest).toFixed(0)} ${perRequest > 1 ? 'events' : 'req'}/CPU-s); ` +
      `RSS ${readRssMb(svc.pid)} MB; load ${os.loadavg()[0]?.toFixed(2)}`,
  );
} finally {
  await svc.stop();
  if (values['trace-gc']) console.log(svc.stderr().split('\n').slice(-5).join('\n'));
  await testDb.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
