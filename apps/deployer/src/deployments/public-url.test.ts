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

async function deployWithHost(deployer: TestDeployer, appName: string, host: string | undefined) {
  const res = await deployer.app.inject({
    method: 'POST',
    url: '/deployer-api/deploy',
    payload: { app_name: appName, code: helloCode, namespace: 'default' },
    headers: { ...identityHeaders(users.alice), ...(host ? { 'x-forwarded-host': host } : {}) },
  });
  assert.equal(res.statusCode, 202, res.body);
  await deployer.runner.idle();
  const record = await deployer.app.inject({
    url: `/deployer-api/deployments/${res.json().deployment_id}`,
    headers: identityHeaders(users.alice),
  });
  return record.json() as {
    state: string;
    url: string | null;
    error: string | null;
    events: Array<{ text: string }>;
  };
}

describe('the URL a podman deploy advertises (fake podman-like target)', () => {
  let target: FakeTarget;
  let deployer: TestDeployer;
  let configured: TestDeployer;

  before(async () => {
    target = await createFakeTarget();
    deployer = await startTestDeployer({ builder: createFakeBuilder(), target });
    configured = await startTestDeployer({
      builder: createFakeBuilder(),
      target,
      config: { publicHost: 'apps.example.com' },
    });
  });
  after(async () => {
    await deployer?.close();
    await configured?.close();
    await target?.close();
  });

  test('uses the host the user reached the gateway by, with the app port, while checking the app on loopback', async () => {
    const record = await deployWithHost(deployer, 'via-host', 'ashapp.example.com:8443');
    assert.equal(record.state, 'Stable', record.error ?? '');
    assert.match(record.url ?? '', /^http:\/\/ashapp\.example\.com:\d+\/default\/via-host\/$/);
    assert.ok(
      record.events.some((e) =>
        /GET http:\/\/127\.0\.0\.1:\d+\/default\/via-host\/healthz → 200/.test(e.text),
      ),
    );
  });

  test('keeps the loopback URL when no host came with the request, and ignores a malformed one', async () => {
    assert.match(
      (await deployWithHost(deployer, 'no-host', undefined)).url ?? '',
      /^http:\/\/127\.0\.0\.1:\d+\//,
    );
    assert.match(
      (await deployWithHost(deployer, 'bad-host', 'evil"><b>')).url ?? '',
      /^http:\/\/127\.0\.0\.1:\d+\//,
    );
  });

  test('DEPLOYER_PUBLIC_HOST wins over the request host', async () => {
    const record = await deployWithHost(configured, 'configured', 'ashapp.example.com');
    assert.match(record.url ?? '', /^http:\/\/apps\.example\.com:\d+\/default\/configured\/$/);
  });
});
