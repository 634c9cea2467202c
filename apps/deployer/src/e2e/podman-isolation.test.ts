import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotAllowedError } from '@ashapp/platform';
import { pino } from 'pino';
import { createBuildahBuilder, readStorageArgs } from '../build/buildah-builder.ts';
import { writeBuildContext } from '../build/dockerfile.ts';
import { readImageName } from '../deployments/deployment-pipeline.ts';
import type { DeploymentRow } from '../deployments/deployments-repository.ts';
import { renderManifests } from '../manifests/render-manifests.ts';
import { runCommand } from '../process/run-command.ts';
import type { AppRef, DeployTarget } from '../targets/deploy-target.ts';
import { createPodmanTarget } from '../targets/podman-target.ts';
import { readLocalName } from '../targets/resource-names.ts';
import { ensureTestBaseImage, type TestBaseImage } from '../../test/base-image.ts';
import { createTestBuildSandbox } from '../../test/build-sandbox.ts';
import { readTestChildEnv, readTestStorage } from '../../test/containers-env.ts';
import { identityHeaders, startTestDeployer, users } from '../../test/service-harness.ts';

/**
 * The attack from issue 8, item 3, on real podman: alice's `{app: "b-c", namespace: "a"}` and bob's
 * `{app: "c", namespace: "a-b"}` used to become the same pod and image (`a-b-c`): bob's deploy replaced
 * alice's pod and re-tagged her image, alice's delete removed bob's app. Now each keeps its own.
 */

const log = pino({ level: 'silent' });
const env = readTestChildEnv();
const storage = readTestStorage();
const alice: AppRef = { owner: 'arn:aws:iam::222222222222:user/alice', namespace: 'a', appName: 'b-c' };
const bob: AppRef = { owner: 'arn:aws:iam::222222222222:user/bob', namespace: 'a-b', appName: 'c' };

const appCode = (who: string) => `from flask import Flask

app = Flask(__name__)

@app.route("/")
def whose():
    return "${who}'s app"
`;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

async function podman(args: string[]) {
  return runCommand({
    command: 'podman',
    args: [...readStorageArgs(storage), ...args],
    env,
    timeoutMs: 60_000,
  });
}

async function imageId(image: string): Promise<string> {
  const result = await podman(['image', 'inspect', '--format', '{{.Id}}', image]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

describe(
  "podman target: one user cannot replace or delete another user's app (real buildah and podman)",
  { timeout: 240_000 },
  () => {
    let base: TestBaseImage;
    let work: string;
    let target: DeployTarget;
    const builder = createBuildahBuilder({ log, env, storage, sandbox: createTestBuildSandbox() });
    const images: string[] = [];

    before(async () => {
      base = await ensureTestBaseImage({ env, storage });
      work = await mkdtemp(join(tmpdir(), 'ashapp-isolation-'));
      target = createPodmanTarget({ log, env, storage, stateDir: join(work, 'podman-state') });
    });

    after(async () => {
      for (const app of [alice, bob])
        await target?.delete(app).catch((err: unknown) => console.error('cleanup', err));
      for (const image of images) await builder.removeImage(image).catch(() => undefined);
      if (work) await rm(work, { recursive: true, force: true });
    });

    async function deploy(app: AppRef, who: string): Promise<{ image: string; url: string }> {
      const image = readImageName({
        row: { revision: 1, namespace: app.namespace, app_name: app.appName } as DeploymentRow,
        source: { type: 'code', code: appCode(who) },
        registry: undefined,
        owner: app.owner,
      });
      images.push(image);
      const contextDir = join(work, `${who}-context`);
      await writeBuildContext({
        dir: contextDir,
        code: appCode(who),
        appVariable: 'app',
        appHasHealthRoute: false,
        containerPort: 5000,
        baseImage: base.localImage,
        runtimeInstalled: true,
      });
      await builder.build({ contextDir, image, log: () => undefined, pull: 'never' });
      const objects = renderManifests({
        ...app,
        image,
        kind: 'Deployment',
        replicas: 1,
        serviceType: 'ClusterIP',
        containerPort: 5000,
        revision: 1,
      });
      const applied = await target.apply(objects, { namespace: app.namespace, owner: app.owner });
      const rollout = await target.followRollout(applied.workload, { timeoutMs: 60_000 });
      assert.deepEqual(rollout, { ok: true, readyReplicas: 1 });
      const url = (await target.readUrl(app))?.url;
      assert.ok(url);
      return { image, url };
    }

    test("alice {b-c in a} and bob {c in a-b}: separate pods and images; bob's deploy and alice's delete leave the other alone", async () => {
      assert.notEqual(readLocalName(alice), readLocalName(bob), 'names are injective');
      const first = await deploy(alice, 'alice');
      const aliceImageId = await imageId(first.image);
      assert.equal(await get(first.url), "alice's app");

      const second = await deploy(bob, 'bob');
      assert.notEqual(second.image, first.image, 'bob gets his own image name');
      assert.equal(await get(second.url), "bob's app");
      assert.equal(await get(first.url), "alice's app", "bob's deploy did not replace alice's pod");
      assert.equal(await imageId(first.image), aliceImageId, "bob's build did not re-tag alice's image");
      assert.equal(await target.readStatus(alice), 'running');
      assert.equal(await target.readStatus(bob), 'running');

      await target.delete(alice);
      assert.equal(await target.readStatus(alice), 'missing');
      assert.equal(await get(second.url), "bob's app", "alice's delete did not remove bob's app");
      assert.equal(await target.readStatus(bob), 'running');
    });

    test("the exact attack through the deployer API: bob's deploy and alice's delete leave the other's app serving and live", async () => {
      const deployer = await startTestDeployer({
        builder,
        target: createPodmanTarget({ log, env, storage, stateDir: join(work, 'api-podman-state') }),
        config: {
          baseImage: base.localImage,
          baseImageHasRuntime: true,
          childEnv: env,
          rolloutTimeoutMs: 60_000,
          namespaces: { perUser: true, shared: ['a', 'a-b'], platform: 'ashapp' },
        },
      });
      const call = (method: 'GET' | 'POST' | 'DELETE', url: string, userId: string, payload?: object) =>
        deployer.app.inject({
          method,
          url,
          headers: identityHeaders(userId),
          ...(payload ? { payload } : {}),
        });
      const settings = {
        k8s_kind: 'Deployment',
        replicas: 1,
        service_type: 'ClusterIP',
        container_port: 5000,
      };
      const deployAs = async (userId: string, appName: string, namespace: string, who: string) => {
        const res = await call('POST', '/deployer-api/deploy', userId, {
          app_name: appName,
          namespace,
          code: appCode(who),
          ...settings,
        });
        assert.equal(res.statusCode, 202, res.body);
        await deployer.runner.idle();
        const record = (
          await call('GET', `/deployer-api/deployments/${res.json().deployment_id}`, userId)
        ).json();
        assert.equal(
          record.state,
          'Stable',
          JSON.stringify(record.events.map((e: { text: string }) => e.text)),
        );
        return record as { id: string; url: string; image: string };
      };
      try {
        const aliceRecord = await deployAs(users.alice, 'b-c', 'a', 'alice-api');
        // (users.alice/bob are other ids than the target-level test's, so the two tests never share an app.)
        const bobRecord = await deployAs(users.bob, 'c', 'a-b', 'bob-api');
        images.push(aliceRecord.image, bobRecord.image);
        assert.notEqual(aliceRecord.image, bobRecord.image);
        assert.equal(await get(aliceRecord.url), "alice-api's app", "bob's deploy left alice's app serving");
        assert.equal(await get(bobRecord.url), "bob-api's app");

        const deleted = await call('DELETE', '/deployer-api/apps/b-c?namespace=a', users.alice);
        assert.equal(deleted.statusCode, 200, deleted.body);
        assert.equal(await get(bobRecord.url), "bob-api's app", "alice's delete left bob's app serving");
        const bobView = (await call('GET', `/deployer-api/deployments/${bobRecord.id}`, users.bob)).json();
        assert.deepEqual([bobView.state, bobView.live, bobView.target_status], ['Stable', true, 'running']);
        const aliceView = (
          await call('GET', `/deployer-api/deployments/${aliceRecord.id}`, users.alice)
        ).json();
        assert.equal(aliceView.live, false);
      } finally {
        await call('DELETE', '/deployer-api/apps/c?namespace=a-b', users.bob);
        await call('DELETE', '/deployer-api/apps/b-c?namespace=a', users.alice);
        await deployer.close();
      }
    });

    test("a pod removed behind the deployer's back reads as missing; a pod with the name but another identity is never touched", async () => {
      const pods = await podman([
        'pod',
        'ps',
        '--filter',
        `name=^${readLocalName(bob)}-pod`,
        '--format',
        '{{.Name}}',
      ]);
      const podName = pods.stdout.trim().split('\n')[0];
      assert.ok(podName, pods.stderr);
      assert.equal((await podman(['pod', 'rm', '--force', podName])).code, 0);
      assert.equal(await target.readStatus(bob), 'missing');

      // Someone else's pod under bob's name (created by hand, no ASHapp identity): bob's deploy and delete refuse it.
      const squatter = await podman([
        'pod',
        'create',
        '--name',
        `${readLocalName(bob)}-pod-0`,
        '--label',
        'app.kubernetes.io/name=c',
      ]);
      assert.equal(squatter.code, 0, squatter.stderr);
      try {
        assert.equal(await target.readStatus(bob), 'foreign');
        await assert.rejects(target.delete(bob), NotAllowedError);
        assert.equal(
          (await podman(['pod', 'exists', `${readLocalName(bob)}-pod-0`])).code,
          0,
          'the foreign pod is still there',
        );
      } finally {
        await podman(['pod', 'rm', '--force', `${readLocalName(bob)}-pod-0`]);
      }
    });
  },
);
