import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  createFakeBuilder,
  createFakeTarget,
  identityHeaders,
  startTestDeployer,
  users,
  type FakeTarget,
  type TestDeployer,
} from '../../test/service-harness.ts';

interface CapabilitiesView {
  target: string;
  target_available: boolean;
  builder: string | null;
  strategies: string[];
  can_deploy_source: boolean;
  problems: string[];
}

describe('GET /deployer-api/capabilities', () => {
  const started: Array<{ deployer: TestDeployer; target: FakeTarget }> = [];
  after(async () => {
    for (const { deployer, target } of started) {
      await deployer.close();
      await target.close();
    }
  });

  async function read(options: { builder: boolean; targetUp?: boolean }): Promise<CapabilitiesView> {
    const target = await createFakeTarget();
    if (options.targetUp === false) target.available = async () => false;
    const deployer = await startTestDeployer({
      target,
      ...(options.builder ? { builder: createFakeBuilder() } : {}),
    });
    started.push({ deployer, target });
    const res = await deployer.app.inject({
      method: 'GET',
      url: '/deployer-api/capabilities',
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<CapabilitiesView>();
  }

  test('says before any deploy that no builder is installed, so the page can disable Deploy', async () => {
    const view = await read({ builder: false });
    assert.equal(view.builder, null);
    assert.equal(view.can_deploy_source, false);
    assert.match(view.problems.join(' '), /No image builder/);
  });

  test('offers only the rolling strategy on the local podman target, and deploys when both answer', async () => {
    const view = await read({ builder: true });
    assert.equal(view.target, 'podman');
    assert.deepEqual(view.strategies, ['rolling']);
    assert.equal(view.can_deploy_source, true);
    assert.deepEqual(view.problems, []);
  });

  test('names a target that does not answer', async () => {
    const view = await read({ builder: true, targetUp: false });
    assert.equal(view.target_available, false);
    assert.equal(view.can_deploy_source, false);
    assert.match(view.problems.join(' '), /podman does not answer/);
  });

  test('answers 401 without the gateway identity', async () => {
    const target = await createFakeTarget();
    const deployer = await startTestDeployer({ target });
    started.push({ deployer, target });
    const res = await deployer.app.inject({ method: 'GET', url: '/deployer-api/capabilities' });
    assert.equal(res.statusCode, 401);
  });
});
