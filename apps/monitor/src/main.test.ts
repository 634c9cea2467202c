import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createId, identityHeader, signIdentity } from '@ashapp/platform';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
const secret = 'main-test-secret-main-test-secret-0123456789';

describe('monitor main (whole process)', () => {
  let dataDir: string;
  let monitor: ServiceProcess;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-monitor-main-'));
    const port = await getFreePort();
    monitor = await startServiceProcess({
      entry,
      port,
      env: {
        MONITOR_PORT: String(port),
        ASHAPP_DATA_DIR: dataDir,
        INTERNAL_AUTH_SECRET: secret,
        LOG_LEVEL: 'warn',
        AUDIT_RETENTION_DAYS: '30',
        AUDIT_RETENTION_SWEEP_MINUTES: '0.05',
      },
    });
  });
  after(async () => {
    await monitor.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('answers health, readiness and metrics, refuses calls without identity, and stores a signed one', async () => {
    assert.equal((await fetch(`${monitor.url}/health`)).status, 200);
    const ready = await fetch(`${monitor.url}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ready');
    assert.match(await (await fetch(`${monitor.url}/metrics`)).text(), /process_resident_memory_bytes/);
    assert.equal((await fetch(`${monitor.url}/monitor/events`)).status, 401);
    const headers = {
      [identityHeader]: signIdentity({ userId: 'u1', roles: ['user'], requestId: createId() }, secret),
      'content-type': 'application/json',
    };
    const logged = await fetch(`${monitor.url}/monitor/log`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ service: 'gateway', endpoint: '/api/login', action_type: 'login' }),
    });
    assert.equal(logged.status, 201);
    const page = (await (await fetch(`${monitor.url}/monitor/events`, { headers })).json()) as {
      items: unknown[];
    };
    assert.equal(page.items.length, 1);
  });

  test('exits 0 on SIGTERM promptly, even with a live feed open', async () => {
    const controller = new AbortController();
    const headers = {
      [identityHeader]: signIdentity({ userId: 'u1', roles: ['user'], requestId: createId() }, secret),
    };
    const stream = await fetch(`${monitor.url}/monitor/events/stream`, {
      headers,
      signal: controller.signal,
    });
    assert.equal(stream.status, 200);
    const started = Date.now();
    try {
      assert.equal(await monitor.stop(), 0, monitor.output());
    } finally {
      controller.abort();
    }
    // The drain timeout is 10 s: ending live feeds at shutdown must not wait for it.
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  test('exits non-zero with a clear message on bad configuration', async () => {
    const port = await getFreePort();
    await assert.rejects(
      startServiceProcess({
        entry,
        port,
        env: { MONITOR_PORT: String(port), ASHAPP_DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: 'forever' },
        timeoutMs: 15_000,
      }),
      /monitor failed to start: invalid configuration: AUDIT_RETENTION_DAYS/,
    );
  });
});
