// Gateway: the latency it adds to a history page (through the gateway vs the history service directly,
// same run, 16 connections), with a real session from a sign-in through the STS stand-in.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityHeader, signIdentity } from '@ashapp/platform';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import { startStsStandIn, testUsers } from '@ashapp/aws-stand-in';
import { runWrk, withPeakRss, type BenchContext, type BenchRow } from './lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const seededEntries = 200;
const pageSize = 50;

export async function benchGateway(ctx: BenchContext): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-gateway-'));
  const secret = randomBytes(32).toString('base64url');
  const sts = await startStsStandIn();
  const processes: ServiceProcess[] = [];
  try {
    const historyPort = await getFreePort();
    const gatewayPort = await getFreePort();
    // No monitor in this run: the gateway's few audit events wait in its outbox, off the measured path.
    const shared = {
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      LOG_LEVEL: 'warn',
      HISTORY_URL: `http://127.0.0.1:${historyPort}`,
      MONITOR_URL: `http://127.0.0.1:${await getFreePort()}`,
    };
    const history = await startServiceProcess({
      entry: path.join(root, 'apps/history/src/main.ts'),
      port: historyPort,
      env: { ...shared, HISTORY_PORT: String(historyPort) },
    });
    processes.push(history);
    const gateway = await startServiceProcess({
      entry: path.join(root, 'apps/gateway/src/main.ts'),
      port: gatewayPort,
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
    const opts = { connections: 16, durationSeconds: ctx.durationSeconds };
    const direct = await withPeakRss(history.child.pid ?? 0, () =>
      runWrk(`${history.url}/history/list?limit=${pageSize}`, {
        ...opts,
        headers: { [identityHeader]: assertion },
      }),
    );
    const through = await withPeakRss(gateway.child.pid ?? 0, () =>
      runWrk(`${gateway.url}/api/history?limit=${pageSize}`, { ...opts, headers: bearer }),
    );
    const addedP50 = through.result.p50Ms - direct.result.p50Ms;
    const addedP99 = through.result.p99Ms - direct.result.p99Ms;
    const ratio = (rps: number) => (ctx.bareRps > 0 ? rps / ctx.bareRps : undefined);
    const note = (r: { errors: number; requests: number }) =>
      r.errors > 0 ? `${r.errors} errors of ${r.requests}` : '';
    return [
      {
        scenario: `history page (${pageSize} rows) directly`,
        engine: 'SQLite',
        rps: direct.result.rps,
        p50Ms: direct.result.p50Ms,
        p99Ms: direct.result.p99Ms,
        ratioToBare: ratio(direct.result.rps),
        rssMb: direct.peakRssMb,
        note: note(direct.result),
      },
      {
        scenario: `same page through the gateway (bearer session)`,
        engine: 'SQLite',
        rps: through.result.rps,
        p50Ms: through.result.p50Ms,
        p99Ms: through.result.p99Ms,
        ratioToBare: ratio(through.result.rps),
        rssMb: through.peakRssMb,
        note: note(through.result),
      },
      {
        scenario: 'added by the gateway',
        p50Ms: addedP50,
        p99Ms: addedP99,
        target: '≤ 1 ms p50, ≤ 3 ms p99',
        verdict: addedP50 <= 1 && addedP99 <= 3 ? 'met' : 'missed',
        note: 'session lookup, rate limits, identity signing, streaming proxy over keep-alive',
      },
    ];
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await sts.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
