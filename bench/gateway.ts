// Gateway: what it adds to a history page (through the gateway vs the history service directly, same run),
// with a real session from a sign-in through the STS stand-in: latency added at 1 connection (issue 11:
// ≤ 0.5 ms p50, ≤ 2 ms p99) and the share of the direct throughput kept at 16 connections (≥ 0.6×).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { identityHeader, signIdentity } from '@ashapp/platform';
import { getFreePort } from '@ashapp/platform/testing';
import { startStsStandIn, testUsers } from '@ashapp/aws-stand-in';
import {
  runWrk,
  startBuiltService,
  withPeakRss,
  type BenchContext,
  type BuiltService,
  type BenchRow,
} from './lib.ts';

const seededEntries = 200;
const pageSize = 50;

export async function benchGateway(ctx: BenchContext): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-gateway-'));
  const secret = randomBytes(32).toString('base64url');
  const sts = await startStsStandIn();
  const processes: BuiltService[] = [];
  try {
    const historyPort = await getFreePort();
    const gatewayPort = await getFreePort();
    // No monitor in this run: the gateway's few audit events wait in its outbox, off the measured path.
    const shared = {
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      HISTORY_URL: `http://127.0.0.1:${historyPort}`,
      MONITOR_URL: `http://127.0.0.1:${await getFreePort()}`,
    };
    // BENCH_TRACE_GC_DIR: both services run with --trace-gc, their stdout in that folder (the tail hunt of
    // docs/benchmark-notes.md, Gateway).
    const traceDir = process.env.BENCH_TRACE_GC_DIR;
    // BENCH_GATEWAY_NODE_ARGS: more flags for the gateway (`--cpu-prof --cpu-prof-dir=…`).
    const extra = (name: string) =>
      name === 'gateway' ? (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
    const traced = (name: string) => ({
      nodeArgs: [...(traceDir ? ['--trace-gc'] : []), ...extra(name)],
      ...(traceDir ? { stdoutFile: path.join(traceDir, `${name}.gc.log`) } : {}),
    });
    // The built services, as they ship (ADR 0019).
    const history = await startBuiltService({
      name: 'history',
      port: historyPort,
      env: { ...shared, HISTORY_PORT: String(historyPort) },
      ...traced('history'),
    });
    processes.push(history);
    const gateway = await startBuiltService({
      name: 'gateway',
      port: gatewayPort,
      ...traced('gateway'),
      env: {
        ...shared,
        GATEWAY_PORT: String(gatewayPort),
        AWS_ENDPOINT_URL_STS: sts.url,
        // The load comes from one user at one address; the limits are not what is measured here.
        RATE_LIMIT_USER_MAX: '1000000000',
        RATE_LIMIT_IP_MAX: '1000000000',
      },
    });
    processes.push(gateway);

    const user = testUsers.alice;
    const login = await fetch(`${gateway.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        access_key: user.accessKeyId,
        secret_key: user.secretAccessKey,
        region: 'us-east-1',
      }),
    });
    if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const bearer = { authorization: `Bearer ${token}` };
    for (let i = 0; i < seededEntries; i += 1) {
      const res = await fetch(`${gateway.url}/services/history/history/save`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `list ec2 instances ${i}`,
          output: JSON.stringify({ InstanceIds: [`i-${i}`] }),
        }),
      });
      if (res.status !== 201) throw new Error(`seeding failed: ${res.status}`);
    }
    ctx.log(`gateway: signed in and seeded ${seededEntries} entries`);

    // What the gateway would send: an assertion for the same user, long-lived enough for the run.
    const assertion = signIdentity(
      { userId: user.arn, roles: ['user'], requestId: 'bench', name: 'alice' },
      secret,
      { ttlSeconds: 3600 },
    );
    const ratio = (rps: number) => (ctx.bareRps > 0 ? rps / ctx.bareRps : undefined);
    const note = (r: { errors: number; requests: number }) =>
      r.errors > 0 ? `${r.errors} errors of ${r.requests}` : '';
    const measure = async (connections: number) => {
      const opts = { connections, durationSeconds: ctx.durationSeconds };
      const direct = await withPeakRss(history.pid, () =>
        runWrk(`${history.url}/history/list?limit=${pageSize}`, {
          ...opts,
          headers: { [identityHeader]: assertion },
        }),
      );
      const through = await withPeakRss(gateway.pid, () =>
        runWrk(`${gateway.url}/api/history?limit=${pageSize}`, { ...opts, headers: bearer }),
      );
      return { direct, through };
    };
    const rowsFor = (connections: number, m: Awaited<ReturnType<typeof measure>>): BenchRow[] => [
      {
        scenario: `history page (${pageSize} rows) directly, ${connections} conn.`,
        engine: 'SQLite',
        rps: m.direct.result.rps,
        p50Ms: m.direct.result.p50Ms,
        p99Ms: m.direct.result.p99Ms,
        ratioToBare: ratio(m.direct.result.rps),
        rssMb: m.direct.peakRssMb,
        note: note(m.direct.result),
      },
      {
        scenario: `same page through the gateway (bearer session), ${connections} conn.`,
        engine: 'SQLite',
        rps: m.through.result.rps,
        p50Ms: m.through.result.p50Ms,
        p99Ms: m.through.result.p99Ms,
        ratioToBare: ratio(m.through.result.rps),
        rssMb: m.through.peakRssMb,
        note: note(m.through.result),
      },
    ];
    // One connection: the latency one request pays for the extra hop, without queueing behind others.
    const single = await measure(1);
    const addedP50 = single.through.result.p50Ms - single.direct.result.p50Ms;
    const addedP99 = single.through.result.p99Ms - single.direct.result.p99Ms;
    // Sixteen connections: how much of the service's own throughput survives the hop.
    const loaded = await measure(16);
    const kept = loaded.through.result.rps / loaded.direct.result.rps;
    ctx.log(
      `gateway: added p50 ${addedP50.toFixed(2)} ms, p99 ${addedP99.toFixed(2)} ms at 1 connection; ` +
        `${kept.toFixed(2)}× of the direct throughput at 16`,
    );
    return [
      ...rowsFor(1, single),
      {
        scenario: 'added by the gateway, 1 connection',
        p50Ms: addedP50,
        p99Ms: addedP99,
        target: '≤ 0.5 ms p50, ≤ 2 ms p99',
        verdict: addedP50 <= 0.5 && addedP99 <= 2 ? 'met' : 'missed',
        note: 'session lookup, rate limits, identity signing, proxy over a keep-alive pool',
      },
      ...rowsFor(16, loaded),
      {
        scenario: 'throughput kept through the gateway, 16 connections',
        ratioToBare: ratio(loaded.through.result.rps),
        target: '≥ 0.6× of direct',
        verdict: kept >= 0.6 ? 'met' : 'missed',
        note: `${kept.toFixed(2)}× of direct (wrk, gateway and history share the machine's cores)`,
      },
    ];
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await sts.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
