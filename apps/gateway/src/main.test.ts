import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import { startStsStandIn, testUsers, type StsStandIn } from '@ashapp/aws-stand-in';

describe('gateway process (booted whole, STS stand-in)', () => {
  let gateway: ServiceProcess;
  let sts: StsStandIn;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-gateway-main-'));
    sts = await startStsStandIn();
    const port = await getFreePort();
    gateway = await startServiceProcess({
      entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
      port,
      env: {
        GATEWAY_PORT: String(port),
        ASHAPP_DATA_DIR: dataDir,
        AWS_ENDPOINT_URL_STS: sts.url,
        MONITOR_URL: `http://127.0.0.1:${await getFreePort()}`,
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await sts?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('answers /health, /ready and /metrics', async () => {
    assert.equal((await fetch(`${gateway.url}/health`)).status, 200);
    const ready = await fetch(`${gateway.url}/ready`);
    assert.equal(ready.status, 200, await ready.clone().text());
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /http_requests_total/);
  });

  test('answers 401 to an API call without a session and signs in through STS', async () => {
    assert.equal((await fetch(`${gateway.url}/api/history`)).status, 401);
    const res = await fetch(`${gateway.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        access_key: testUsers.alice.accessKeyId,
        secret_key: testUsers.alice.secretAccessKey,
        region: 'eu-west-1',
      }),
    });
    assert.equal(res.status, 200);
    const { token } = (await res.json()) as { token: string };
    const user = await fetch(`${gateway.url}/api/user`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await user.json()) as { username: string }).username, 'alice');
  });

  test('stops cleanly on SIGTERM', async () => {
    assert.equal(await gateway.stop(), 0);
  });
});
