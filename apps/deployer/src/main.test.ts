import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { identityHeader, signIdentity } from '@ashapp/platform';
import { getFreePort, startServiceProcess } from '@ashapp/platform/testing';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-deployer-main-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('boots whole: health, readiness, metrics, OpenAPI, 401 without identity, validate, clean exit on SIGTERM', async () => {
  const port = await getFreePort();
  const secret = 'd'.repeat(43);
  const svc = await startServiceProcess({
    entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
    port,
    env: {
      DEPLOYER_PORT: String(port),
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      MONITOR_URL: 'http://127.0.0.1:9',
      HISTORY_URL: 'http://127.0.0.1:9',
      DEPLOYER_TARGET: 'podman',
      DEPLOYER_CONTAINERS_ROOT: path.join(dataDir, 'containers', 'root'),
      DEPLOYER_CONTAINERS_RUNROOT: path.join(dataDir, 'containers', 'runroot'),
    },
    timeoutMs: 30_000,
  });
  try {
    assert.equal((await fetch(`${svc.url}/ready`)).status, 200, svc.output());
    assert.match(await (await fetch(`${svc.url}/metrics`)).text(), /http_requests_total/);
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const p of [
      '/deployer-api/deploy',
      '/deployer-api/docker-login',
      '/deployer-api/deployments/{id}/stream',
    ]) {
      assert.ok(doc.paths[p], `${p} is documented`);
    }
    assert.equal((await fetch(`${svc.url}/deployer-api/deployments`)).status, 401);
    const res = await fetch(`${svc.url}/deployer-api/validate`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [identityHeader]: signIdentity(
          { userId: 'u1', roles: ['user'], requestId: 'r1', sessionId: 's1' },
          secret,
        ),
      },
      body: JSON.stringify({ code: 'from flask import Flask\napp = Flask(__name__)\n', app_name: 'hello' }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { valid: boolean }).valid, true);
  } finally {
    assert.equal(await svc.stop(), 0, svc.output());
  }
});
