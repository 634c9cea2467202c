import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createFakeBuilder,
  createFakeTarget,
  helloCode,
  identityHeaders,
  startTestDeployer,
  users,
  type FakeTarget,
  type TestDeployer,
} from '../../test/service-harness.ts';
import { readIdentityHash } from '../targets/resource-names.ts';

const output = [
  '[2026-11-26 10:00:00 +0000] [7] [ERROR] Exception in worker process',
  'Traceback (most recent call last):',
  '  File "/app/app.py", line 2, in <module>',
  '    import requests',
  "ModuleNotFoundError: No module named 'requests'",
  '[2026-11-26 10:00:01 +0000] [1] [INFO] Reason: Worker failed to boot.',
];

describe('a deploy that fails in its container shows the app traceback (fake podman-like target)', () => {
  let target: FakeTarget;
  let deployer: TestDeployer;

  before(async () => {
    target = await createFakeTarget();
    deployer = await startTestDeployer({ builder: createFakeBuilder(), target });
  });
  after(async () => {
    await deployer?.close();
    await target?.close();
  });

  test('the record names the exception, keeps the traceback and the last lines, and the events carry the app output', async () => {
    // Local images are named by the exact (owner, namespace, app), so no other user's app can share one.
    const hash = readIdentityHash({ owner: users.alice, namespace: 'default', appName: 'broken' });
    const image = `localhost/ashapp/default-broken-${hash}:r1`;
    target.failingImages.add(image);
    target.failureOutput.set(image, output);
    const res = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/deploy',
      payload: { app_name: 'broken', code: helloCode, namespace: 'default' },
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    const record = (
      await deployer.app.inject({
        url: `/deployer-api/deployments/${res.json().deployment_id}`,
        headers: identityHeaders(users.alice),
      })
    ).json() as { state: string; error: string; events: Array<{ stage: string; text: string }> };
    assert.equal(record.state, 'RolledBack');
    const [first] = record.error.split('\n');
    assert.match(
      first ?? '',
      /^rollout failed: CrashLoopBackOff: .* — the app failed with ModuleNotFoundError: No module named 'requests' \(removed\)$/,
    );
    assert.match(
      record.error,
      /First traceback:\nTraceback \(most recent call last\):\n {2}File "\/app\/app\.py", line 2/,
    );
    assert.match(record.error, /Last 6 log lines:[\s\S]*Worker failed to boot/);
    assert.ok(
      record.events.some(
        (e) => e.stage === 'Deploying' && e.text === "app: ModuleNotFoundError: No module named 'requests'",
      ),
    );
  });
});
