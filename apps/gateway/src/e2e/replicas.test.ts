/**
 * Issue 9, "several replicas, nothing lost", for the gateway, history and monitor: two replicas of each on
 * their own ports, sharing MariaDB (one database per service, as `<SERVICE>_DATABASE_URL` would) and one
 * Redis, with STS answered by the AWS stand-in. Gateway A talks to history A and monitor A, gateway B to
 * history B and monitor B; history A delivers its audit events to monitor B and history B to monitor A.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { createDatabase, identityHeader, signIdentity } from '@ashapp/platform';
import {
  createTestDatabase,
  getFreePort,
  startServiceProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@ashapp/platform/testing';
import { closedServiceUrl, serviceEntry } from '@ashapp/test-platform/services';
import { startStsStandIn, testUsers, type StsStandIn } from '@ashapp/aws-stand-in';

/** A Redis of the test's own (the machine's shared one would mix other suites' rate-limit counters in). */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        probe.disconnect();
        await delay(100);
      }
    }
  } finally {
    probe.disconnect();
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Session {
  cookie: string;
  csrf: string;
  token: string;
}

function readCookies(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

describe('two replicas of gateway, history and monitor on MariaDB and Redis (issue 9)', () => {
  const secret = randomBytes(32).toString('base64url');
  const sessionKey = randomBytes(32).toString('hex');
  const databases: Record<'gateway' | 'history' | 'monitor', TestDatabase | undefined> = {
    gateway: undefined,
    history: undefined,
    monitor: undefined,
  };
  const dataDirs: string[] = [];
  const processes: ServiceProcess[] = [];
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let sts: StsStandIn;
  type Pair = { a: ServiceProcess | undefined; b: ServiceProcess | undefined };
  const gw: Pair = { a: undefined, b: undefined };
  const historyProcs: Pair = { a: undefined, b: undefined };
  const monitorProcs: Pair = { a: undefined, b: undefined };
  // Enough for the load below from one address; the sign-in limit is the one the test exhausts.
  const loginLimit = 6;

  async function start(name: string, port: number, env: Record<string, string>): Promise<ServiceProcess> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `ashapp-replica-${name}-`));
    dataDirs.push(dataDir);
    const proc = await startServiceProcess({
      entry: serviceEntry(name),
      port,
      timeoutMs: 60_000,
      env: {
        INTERNAL_AUTH_SECRET: secret,
        ASHAPP_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        // What a deployment behind a balancer sets (see the gateway README): keep serving a moment after
        // SIGTERM with /ready 503 and Connection: close.
        SHUTDOWN_DELAY_MS: '1000',
        ASSISTANT_URL: closedServiceUrl,
        DEPLOYER_URL: closedServiceUrl,
        [`${name.toUpperCase()}_PORT`]: String(port),
        ...env,
      },
    });
    processes.push(proc);
    return proc;
  }

  before(async () => {
    redis = await startRedis();
    sts = await startStsStandIn();
    for (const name of ['gateway', 'history', 'monitor'] as const) {
      databases[name] = await createTestDatabase('mysql');
    }
    const port = {
      monitorA: await getFreePort(),
      monitorB: await getFreePort(),
      historyA: await getFreePort(),
      historyB: await getFreePort(),
      gatewayA: await getFreePort(),
      gatewayB: await getFreePort(),
    };
    const url = (p: number) => `http://127.0.0.1:${p}`;
    const monitorEnv = { MONITOR_DATABASE_URL: databases.monitor?.url ?? '' };
    [monitorProcs.a, monitorProcs.b] = await Promise.all([
      start('monitor', port.monitorA, monitorEnv),
      start('monitor', port.monitorB, monitorEnv),
    ]);
    const historyEnv = { HISTORY_DATABASE_URL: databases.history?.url ?? '' };
    [historyProcs.a, historyProcs.b] = await Promise.all([
      start('history', port.historyA, { ...historyEnv, MONITOR_URL: url(port.monitorB) }),
      start('history', port.historyB, { ...historyEnv, MONITOR_URL: url(port.monitorA) }),
    ]);
    const gatewayEnv = {
      GATEWAY_DATABASE_URL: databases.gateway?.url ?? '',
      REDIS_URL: redis.url,
      SESSION_ENCRYPTION_KEY: sessionKey,
      AWS_ENDPOINT_URL_STS: sts.url,
      WEB_DIST_DIR: path.join(os.tmpdir(), 'ashapp-no-web-build'),
      LOGIN_RATE_LIMIT_MAX: String(loginLimit),
      RATE_LIMIT_IP_MAX: '100000',
      RATE_LIMIT_USER_MAX: '100000',
    };
    [gw.a, gw.b] = await Promise.all([
      start('gateway', port.gatewayA, {
        ...gatewayEnv,
        HISTORY_URL: url(port.historyA),
        MONITOR_URL: url(port.monitorA),
      }),
      start('gateway', port.gatewayB, {
        ...gatewayEnv,
        HISTORY_URL: url(port.historyB),
        MONITOR_URL: url(port.monitorB),
      }),
    ]);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sts?.close();
    await redis?.stop();
    for (const db of Object.values(databases)) await db?.drop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  const urlOf = (which: 'a' | 'b') => gw[which]?.url ?? '';

  async function signIn(which: 'a' | 'b'): Promise<Session> {
    const user = testUsers.alice;
    const res = await fetch(`${urlOf(which)}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        access_key: user.accessKeyId,
        secret_key: user.secretAccessKey,
        region: 'us-east-1',
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const cookies = readCookies(res);
    const csrf = cookies.ashapp_csrf ?? '';
    return {
      cookie: `ashapp_session=${cookies.ashapp_session ?? ''}; ashapp_csrf=${csrf}`,
      csrf,
      token: ((await res.json()) as { token: string }).token,
    };
  }

  let session: Session;
  const markers: string[] = [];

  test('signed in through gateway A, the browser session keeps working through gateway B (CSRF too)', async () => {
    session = await signIn('a');
    const user = await fetch(`${urlOf('b')}/api/user`, { headers: { cookie: session.cookie } });
    assert.equal(user.status, 200);
    assert.equal(((await user.json()) as { username: string }).username, 'alice');
    // State-changing calls with the cookie, alternating replicas: the CSRF token signed on A verifies on B.
    for (let i = 0; i < 10; i++) {
      const marker = `replica-event-${i}-${randomUUID()}`;
      markers.push(marker);
      const res = await fetch(`${urlOf(i % 2 === 0 ? 'b' : 'a')}/api/monitor/log`, {
        method: 'POST',
        headers: {
          cookie: session.cookie,
          'x-csrf-token': session.csrf,
          'content-type': 'application/json',
          'x-request-id': marker,
        },
        body: JSON.stringify({
          endpoint: '/replicas',
          action_type: 'replica-check',
          request_data: { marker },
        }),
      });
      assert.equal(res.status, 201, await res.text());
    }
    // History saved through one replica is listed through the other.
    const saved = await fetch(`${urlOf('b')}/services/history/history/save`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'saved through B', output: 'ok' }),
    });
    assert.equal(saved.status, 201, await saved.text());
    const listed = await fetch(`${urlOf('a')}/api/history`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    assert.ok(((await listed.json()) as Array<{ query: string }>).some((e) => e.query === 'saved through B'));
  });

  test('signing out through gateway B ends the session on gateway A, cookie and bearer token alike', async () => {
    const other = await signIn('b');
    // Used on A first, so A holds it in its session cache: the sign-out must reach that cache too.
    const cachedCookie = await fetch(`${urlOf('a')}/api/user`, { headers: { cookie: other.cookie } });
    assert.equal(cachedCookie.status, 200);
    const cachedToken = await fetch(`${urlOf('a')}/api/history`, {
      headers: { authorization: `Bearer ${other.token}` },
    });
    assert.equal(cachedToken.status, 200);
    // Both replicas count the live sessions from Redis (the gauge is not per replica).
    for (const replica of ['a', 'b'] as const) {
      const metrics = await (await fetch(`${urlOf(replica)}/metrics`)).text();
      const live = Number(/^ashapp_gateway_sessions(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(live >= 2, `gateway ${replica} counts ${live} live sessions`);
    }
    const out = await fetch(`${urlOf('b')}/api/logout`, {
      method: 'POST',
      headers: { cookie: other.cookie, 'x-csrf-token': other.csrf },
    });
    assert.equal(out.status, 200);
    const byCookie = await fetch(`${urlOf('a')}/api/user`, { headers: { cookie: other.cookie } });
    assert.equal(byCookie.status, 401);
    const byToken = await fetch(`${urlOf('a')}/api/history`, {
      headers: { authorization: `Bearer ${other.token}` },
    });
    assert.equal(byToken.status, 401);
    // The first session is untouched.
    const still = await fetch(`${urlOf('a')}/api/user`, { headers: { cookie: session.cookie } });
    assert.equal(still.status, 200);
  });

  test('the sign-in rate limit holds across replicas: attempts through A and B share one counter', async () => {
    // Two sign-ins so far from this address; the rest of the allowance, alternating replicas.
    const statuses: number[] = [];
    for (let i = 0; i < loginLimit; i++) {
      const res = await fetch(`${urlOf(i % 2 === 0 ? 'a' : 'b')}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          access_key: testUsers.alice.accessKeyId,
          secret_key: 'wrong-secret-key-wrong-secret-key-0000',
          region: 'us-east-1',
        }),
      });
      statuses.push(res.status);
    }
    // Limit 6: sign-ins 1–2 above, then 4 wrong keys (401), then 429 on either replica.
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
  });

  test('two monitors behind the outboxes store every audit event exactly once', async () => {
    const monitorDb = createDatabase<Record<string, never>>({ url: databases.monitor?.url ?? '' });
    const gatewayDb = createDatabase<Record<string, never>>({ url: databases.gateway?.url ?? '' });
    const historyDb = createDatabase<Record<string, never>>({ url: databases.history?.url ?? '' });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const pending = await Promise.all(
          [gatewayDb, historyDb].map(async (d) =>
            Number(
              (await sql<{ n: number }>`select count(*) as n from audit_outbox`.execute(d.db)).rows[0]?.n ??
                0,
            ),
          ),
        );
        if (pending.every((n) => n === 0)) break;
        assert.ok(Date.now() < deadline, `outboxes not drained: ${pending.join(', ')}`);
        await delay(200);
      }
      const rows = (
        await sql<{
          id: string;
          request_id: string | null;
          service: string;
          action_type: string;
        }>`select id, request_id, service, action_type from audit_events`.execute(monitorDb.db)
      ).rows;
      for (const marker of markers) {
        // The event the user logged, stamped by the gateway with the request id, once.
        const mine = rows.filter((r) => r.request_id === marker);
        assert.deepEqual(
          mine.map((r) => `${r.service}/${r.action_type}`),
          ['user/user.replica-check'],
          marker,
        );
      }
      const count = (service: string, action: string) =>
        rows.filter((r) => r.service === service && r.action_type === action).length;
      assert.equal(count('gateway', 'login'), 2);
      assert.equal(count('gateway', 'logout'), 1);
      assert.equal(count('gateway', 'login_failed'), 4);
      assert.equal(count('history', 'history.save'), 1);
      assert.equal(count('gateway', 'forward'), 1, 'the history save forwarded through B');
      assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
    } finally {
      await Promise.all([monitorDb.close(), gatewayDb.close(), historyDb.close()]);
    }
  });

  /**
   * Sends GETs from 8 concurrent clients until replica A has exited and 100 more were sent (at most
   * `maxTotal`, so a machine of any speed keeps the load running across the whole drain) through a balancer like a Kubernetes Service: it routes to
   * replicas whose /ready answers 200 (checked every 100 ms), round robin; a connection refused before the
   * request was sent goes to the other replica. Anything else that is not a 200 counts as failed. 400 ms
   * in, replica A gets SIGTERM.
   */
  async function drainUnderLoad(options: {
    urls: { a: string; b: string };
    stopA: () => Promise<number | null> | undefined;
    path: string;
    headers: () => Record<string, string>;
  }) {
    let served = 0;
    const failures: string[] = [];
    let next = 0;
    const maxTotal = 20_000;
    const drain: { exitedAt?: number } = {};
    const ready = { a: true, b: true };
    let probing = true;
    const prober = (async () => {
      while (probing) {
        for (const which of ['a', 'b'] as const) {
          try {
            ready[which] = (await fetch(`${options.urls[which]}/ready`)).status === 200;
          } catch {
            ready[which] = false;
          }
        }
        await delay(100);
      }
    })();
    async function one(i: number): Promise<void> {
      const preferred: Array<'a' | 'b'> = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
      const order = preferred.filter((w) => ready[w]).concat(preferred.filter((w) => !ready[w]));
      for (const which of order) {
        try {
          const res = await fetch(`${options.urls[which]}${options.path}`, { headers: options.headers() });
          await res.arrayBuffer();
          if (res.status !== 200) failures.push(`${which}: ${res.status}`);
          else served += 1;
          return;
        } catch (err) {
          const code = (err as { cause?: { code?: string } }).cause?.code;
          if (code === 'ECONNREFUSED' && which === 'a') continue;
          failures.push(`${which}: ${code ?? (err as Error).message}`);
          return;
        }
      }
    }
    const keepSending = () =>
      next < maxTotal && (drain.exitedAt === undefined || next < drain.exitedAt + 100);
    async function worker(): Promise<void> {
      while (keepSending()) await one(next++);
    }
    const load = Promise.all(Array.from({ length: 8 }, () => worker()));
    await delay(400);
    const stopping = options.stopA();
    await delay(300);
    const servedWhileDraining = served;
    const exitCode = await stopping;
    drain.exitedAt = next;
    const servedBeforeExit = served;
    await load;
    probing = false;
    await prober;
    assert.equal(exitCode, 0);
    assert.deepEqual(failures, []);
    assert.equal(served, next);
    assert.equal(ready.a, false, 'replica A left the balancer');
    assert.ok(servedWhileDraining > 0);
    assert.ok(servedBeforeExit < served, 'replica A stopped while the load was still running');
  }

  const asAlice = () => ({
    [identityHeader]: signIdentity(
      { userId: testUsers.alice.arn, roles: ['user'], requestId: randomUUID() },
      secret,
    ),
  });

  test('SIGTERM on gateway A under load: in-flight requests finish, no request fails', async () => {
    await drainUnderLoad({
      urls: { a: urlOf('a'), b: urlOf('b') },
      stopA: () => gw.a?.stop(20_000),
      path: '/api/history?limit=5',
      headers: () => ({ authorization: `Bearer ${session.token}` }),
    });
  });

  test('SIGTERM on history A under load: in-flight requests finish, no request fails', async () => {
    await drainUnderLoad({
      urls: { a: historyProcs.a?.url ?? '', b: historyProcs.b?.url ?? '' },
      stopA: () => historyProcs.a?.stop(20_000),
      path: '/history/list?limit=5',
      headers: asAlice,
    });
  });

  test('SIGTERM on monitor A under load: in-flight requests finish, no request fails', async () => {
    await drainUnderLoad({
      urls: { a: monitorProcs.a?.url ?? '', b: monitorProcs.b?.url ?? '' },
      stopA: () => monitorProcs.a?.stop(20_000),
      path: '/monitor/events?limit=5',
      headers: asAlice,
    });
  });
});
