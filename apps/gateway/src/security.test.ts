import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import { serviceUrlEnv, startServices, type RunningServices } from '@ashapp/test-platform/services';
import { startStsStandIn, testUsers, type StsStandIn } from '@ashapp/aws-stand-in';
import { listForwardRoutes } from './routing/routes.ts';
import { pageRoutes } from './web/routes.ts';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}

/** A cookie jar small enough for one scripted session. */
function createJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    get: (name: string) => cookies.get(name),
    take(res: Response) {
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        const value = pair.slice(at + 1);
        if (value === '') cookies.delete(pair.slice(0, at));
        else cookies.set(pair.slice(0, at), value);
      }
    },
  };
}

describe('security checks over a scripted session (gateway, history, monitor as processes)', () => {
  let services: RunningServices;
  let gateway: ServiceProcess;
  let sts: StsStandIn;
  const seen: string[] = [];
  const secret = testUsers.alice.secretAccessKey;
  const wrongSecret = 'Zq8rT2vLm5Nx7Wc4Pb1Hd9Jf3Kg6Sa0YWRONG123';

  before(async () => {
    sts = await startStsStandIn();
    services = await startServices(['monitor', 'history'], { LOG_LEVEL: 'debug' });
    const port = await getFreePort();
    gateway = await startServiceProcess({
      entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
      port,
      env: {
        GATEWAY_PORT: String(port),
        ASHAPP_DATA_DIR: services.dataDir,
        INTERNAL_AUTH_SECRET: services.secret,
        AWS_ENDPOINT_URL_STS: sts.url,
        ...serviceUrlEnv(services),
        ADMIN_ARNS: testUsers.admin.arn,
        LOG_LEVEL: 'debug',
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await services?.stop();
    await sts?.close();
  });

  async function call(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(`${gateway.url}${url}`, { redirect: 'manual', ...init });
    const body = await res.clone().text();
    seen.push(`${res.status} ${url}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body}`);
    return res;
  }

  test('the secret key appears in no log line, response, cookie or database file', async () => {
    const jar = createJar();
    jar.take(await call('/login'));
    const json = { 'content-type': 'application/json' };
    const failed = await call('/api/login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        access_key: testUsers.alice.accessKeyId,
        secret_key: wrongSecret,
        region: 'us-east-1',
      }),
    });
    assert.equal(failed.status, 401);
    const login = await call('/api/login', {
      method: 'POST',
      headers: { ...json, cookie: jar.header(), 'x-csrf-token': jar.get('ashapp_csrf') ?? '' },
      body: JSON.stringify({
        access_key: testUsers.alice.accessKeyId,
        secret_key: secret,
        region: 'us-east-1',
      }),
    });
    assert.equal(login.status, 200);
    jar.take(login);
    const withCsrf = () => ({ ...json, cookie: jar.header(), 'x-csrf-token': jar.get('ashapp_csrf') ?? '' });
    assert.equal((await call('/api/user', { headers: { cookie: jar.header() } })).status, 200);
    const saved = await call('/services/history/history/save', {
      method: 'POST',
      headers: withCsrf(),
      body: JSON.stringify({ query: 'list s3 buckets', output: '[]' }),
    });
    assert.equal(saved.status, 201);
    assert.equal((await call('/api/history', { headers: { cookie: jar.header() } })).status, 200);
    assert.ok(
      [200, 201].includes(
        (
          await call('/monitor/log', {
            method: 'POST',
            headers: withCsrf(),
            body: JSON.stringify({ service: 'web', endpoint: '/x', action_type: 'click' }),
          })
        ).status,
      ),
    );
    // Let the gateway's outbox deliver the sign-in events to the monitor, then read them back.
    let events = '';
    for (let i = 0; i < 40 && !events.includes('"login"'); i += 1) {
      await delay(100);
      events = await (
        await call('/api/monitor/events?limit=100', { headers: { cookie: jar.header() } })
      ).text();
    }
    assert.match(events, /"action_type":"login"/);
    const logout = await call('/api/logout', {
      method: 'POST',
      headers: { cookie: jar.header(), 'x-csrf-token': jar.get('ashapp_csrf') ?? '' },
    });
    assert.equal(logout.status, 200);
    jar.take(logout);
    assert.equal((await call('/api/user', { headers: { cookie: jar.header() } })).status, 401);

    await gateway.stop();
    await services.stopProcesses();
    const logs = [gateway.output(), ...Object.values(services.processes).map((p) => p.output())];
    assert.ok(
      logs.every((l) => l.length > 0),
      'every process logged something',
    );
    for (const needle of [secret, wrongSecret]) {
      for (const [i, log] of logs.entries())
        assert.equal(log.includes(needle), false, `a secret in the logs of process ${i}`);
      for (const response of seen)
        assert.equal(response.includes(needle), false, `a secret in a response:\n${response.slice(0, 300)}`);
    }
    const files = listFiles(services.dataDir);
    assert.ok(
      files.some((f) => f.endsWith('gateway.sqlite')),
      files.join(', '),
    );
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const needle of [secret, wrongSecret, testUsers.alice.accessKeyId]) {
        assert.equal(
          bytes.includes(Buffer.from(needle, 'utf8')),
          false,
          `${needle.slice(0, 4)}… in ${path.basename(file)}`,
        );
        assert.equal(
          bytes.includes(Buffer.from(needle, 'utf16le')),
          false,
          `${needle.slice(0, 4)}… (UTF-16) in ${path.basename(file)}`,
        );
      }
    }
  });
});

describe('without a session', () => {
  let services: RunningServices;
  let gateway: ServiceProcess;
  before(async () => {
    services = await startServices([]);
    const port = await getFreePort();
    gateway = await startServiceProcess({
      entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
      port,
      env: { GATEWAY_PORT: String(port), ASHAPP_DATA_DIR: services.dataDir },
    });
  });
  after(async () => {
    await gateway?.stop();
    await services?.stop();
  });

  test('every forwarded API route answers 401 and every protected page redirects to /login', async () => {
    for (const route of listForwardRoutes()) {
      if (route.access === 'public') continue;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const url = route.url.replace(':id', '0190d3f0-0000-7000-8000-000000000000').replace('*', 'anything');
      for (const method of methods) {
        const res = await fetch(`${gateway.url}${url}`, { method, redirect: 'manual' });
        assert.equal(res.status, 401, `${method} ${url}`);
      }
    }
    assert.equal((await fetch(`${gateway.url}/api/user`)).status, 401);
    assert.equal((await fetch(`${gateway.url}/api/tokens/current`, { method: 'DELETE' })).status, 401);
    for (const page of pageRoutes) {
      if (page === '/login') continue;
      const res = await fetch(`${gateway.url}${page}`, { redirect: 'manual' });
      assert.equal(res.status, 302, page);
      assert.equal(
        res.headers.get('location'),
        page === '/' ? '/login' : `/login?next=${encodeURIComponent(page)}`,
      );
    }
  });
});
