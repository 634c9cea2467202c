import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { identityHeader, signIdentity } from '@ashapp/platform';
import { getFreePort, startServiceProcess } from '@ashapp/platform/testing';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-history-main-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('boots whole: health, readiness, metrics, 401 without identity, save and list, clean exit on SIGTERM', async () => {
  const port = await getFreePort();
  const secret = 'm'.repeat(43);
  const svc = await startServiceProcess({
    entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
    port,
    env: {
      HISTORY_PORT: String(port),
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      MONITOR_URL: 'http://127.0.0.1:9',
    },
  });
  try {
    assert.equal((await fetch(`${svc.url}/ready`)).status, 200);
    assert.match(await (await fetch(`${svc.url}/metrics`)).text(), /http_requests_total/);
    assert.equal((await fetch(`${svc.url}/history/list`)).status, 401);
    const headers = {
      'content-type': 'application/json',
      [identityHeader]: signIdentity({ userId: 'u1', roles: ['user'], requestId: 'r1' }, secret),
    };
    const saved = await fetch(`${svc.url}/history/save`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: 'q', output: 'o' }),
    });
    assert.equal(saved.status, 201);
    const list = (await (await fetch(`${svc.url}/history/list`, { headers })).json()) as Array<{
      query: string;
    }>;
    assert.deepEqual(
      list.map((e) => e.query),
      ['q'],
    );
  } finally {
    assert.equal(await svc.stop(), 0, svc.output());
  }
});
