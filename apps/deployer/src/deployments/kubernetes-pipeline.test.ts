import assert from 'node:assert/strict';
import { readIdentityHash } from '../targets/resource-names.ts';
import { after, before, describe, test } from 'node:test';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { createManifestValidator } from '../manifests/validate-manifests.ts';
import type { RegistrySignInChecker } from '../registry/registry-sign-in.ts';
import { createKubernetesTarget } from '../targets/kubernetes-target.ts';
import { startKubeStandIn, type ImageBehaviour, type KubeStandIn } from '../../test/kube-stand-in.ts';
import { standInKubeConfig } from '../../test/stand-in-kubeconfig.ts';
import {
  createFakeBuilder,
  helloCode,
  identityHeaders,
  startTestDeployer,
  users,
  type FakeBuilder,
  type TestDeployer,
} from '../../test/service-harness.ts';

const token = 'stand-in-token';
const registryHost = 'registry.example.com';

describe('deploys to the kubernetes target through the Kubernetes API stand-in (client-node unchanged, real HTTP)', () => {
  let standIn: KubeStandIn;
  let deployer: TestDeployer;
  let builder: FakeBuilder;
  const behaviours = new Map<string, ImageBehaviour>();

  before(async () => {
    standIn = await startKubeStandIn({ token, behaviour: (image) => behaviours.get(image) ?? 'ok' });
    const kubeConfig = standInKubeConfig(standIn.url, token);
    const { log } = createCapturingLogger('kube');
    builder = createFakeBuilder();
    // registry.example.com cannot be reached from a test; this fake accepts the credentials the test uses.
    const registryChecker: RegistrySignInChecker = {
      verifyCredentials: async ({ registry }) => ({
        registry: registry ?? 'docker.io',
        apiHost: registry ?? '',
        scheme: 'basic',
      }),
    };
    deployer = await startTestDeployer({
      builder,
      registryChecker,
      target: createKubernetesTarget({
        log,
        kubeConfig,
        validator: createManifestValidator(),
        pollIntervalMs: 10,
      }),
      config: { kubernetesHttpCheck: false, rolloutTimeoutMs: 5000 },
    });
    const login = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/docker-login',
      payload: { docker_user: 'ashwanth01', docker_token: 'dckr_pat_example', registry: registryHost },
      headers: identityHeaders(users.alice),
    });
    assert.equal(login.statusCode, 200, login.body);
  });
  after(async () => {
    await deployer?.close();
    await standIn?.stop();
  });

  async function deploy(body: Record<string, unknown>) {
    const res = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/deploy',
      payload: {
        code: helloCode,
        k8s_kind: 'Deployment',
        replicas: 2,
        service_type: 'NodePort',
        container_port: 5000,
        namespace: 'default',
        ...body,
      },
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    const record = await deployer.app.inject({
      url: `/deployer-api/deployments/${res.json().deployment_id}`,
      headers: identityHeaders(users.alice),
    });
    return record.json() as {
      state: string;
      error: string | null;
      url: string | null;
      image: string;
      manifest: string;
      events: Array<{ kind: string; stage: string; text: string }>;
    };
  }

  const pushed = (appName: string, revision: number) =>
    `${registryHost}/ashwanth01/${appName}:r${revision}-${readIdentityHash({ owner: users.alice, namespace: 'default', appName })}`;
  const imageOf = (name: string) =>
    standIn.get('apps', 'deployments', 'default', name)?.spec.template.spec.containers[0].image as
      string | undefined;

  test('refuses a deploy to the cluster without a registry sign-in (the cluster must pull the image)', async () => {
    const res = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/deploy',
      payload: { app_name: 'nologin', code: helloCode },
      headers: identityHeaders(users.bob),
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /^registry: sign in/);
  });

  test('rolling: builds, pushes to the signed-in registry, applies with server-side apply, follows the rollout to Stable', async () => {
    const record = await deploy({ app_name: 'hello' });
    assert.equal(record.state, 'Stable', record.error ?? '');
    assert.equal(record.image, pushed('hello', 1));
    assert.equal(builder.pushes.at(-1)?.registry, registryHost);
    assert.equal(builder.pushes.at(-1)?.credentials?.password, 'dckr_pat_example');
    assert.equal(imageOf('hello'), pushed('hello', 1));
    assert.match(record.url ?? '', /^http:\/\/10\.0\.0\.14:3\d{4}\/$/);
    assert.ok(
      record.events.some(
        (e) => e.stage === 'Deploying' && /Deployment\/hello: 2\/2 updated, 2 available/.test(e.text),
      ),
    );
    assert.ok(record.events.some((e) => e.stage === 'Testing' && /HTTP check .* is off/.test(e.text)));
    const patches = standIn.requests.filter((r) => r.method === 'PATCH');
    assert.ok(patches.every((p) => p.query.fieldManager === 'ashapp' && p.query.force === 'true'));
  });

  test('ImagePullBackOff: the new revision fails, is rolled back automatically to revision 1, and ends RolledBack', async () => {
    behaviours.set(pushed('hello', 2), 'image-pull-error');
    const record = await deploy({ app_name: 'hello' });
    assert.equal(record.state, 'RolledBack');
    assert.match(record.error ?? '', /ImagePullBackOff/);
    assert.match(record.error ?? '', /rolled back to revision 1/);
    assert.ok(record.events.some((e) => e.stage === 'Rollback' && /re-applying revision 1/.test(e.text)));
    assert.equal(imageOf('hello'), pushed('hello', 1));
    const pods = standIn
      .list('', 'pods', 'default')
      .filter((p) => p.metadata.labels['app.kubernetes.io/instance'] === 'hello');
    assert.ok(pods.length >= 2 && pods.every((p) => p.spec.containers[0].image === pushed('hello', 1)));
    const revisions = await deployer.app.inject({
      url: '/deployer-api/deployments/hello/revisions?namespace=default',
      headers: identityHeaders(users.alice),
    });
    assert.equal(revisions.json().live_revision, 1);
  });

  test('blue-green: the new colour runs beside the old; the Service switches once it is healthy; the old colour stays', async () => {
    const first = await deploy({ app_name: 'bg', strategy: 'blue-green' });
    assert.equal(first.state, 'Stable', first.error ?? '');
    assert.equal(standIn.get('', 'services', 'default', 'bg-svc')?.spec.selector['ashapp.io/colour'], 'blue');
    const second = await deploy({ app_name: 'bg', strategy: 'blue-green' });
    assert.equal(second.state, 'Stable', second.error ?? '');
    assert.equal(
      standIn.get('', 'services', 'default', 'bg-svc')?.spec.selector['ashapp.io/colour'],
      'green',
    );
    assert.equal(imageOf('bg-green'), pushed('bg', 2));
    assert.equal(imageOf('bg-blue'), pushed('bg', 1), 'old colour kept for instant rollback');
    assert.match(second.manifest, /name: bg-green/);
    // A failing third version never receives traffic; the failed colour is removed and green keeps serving.
    behaviours.set(pushed('bg', 3), 'crash');
    const third = await deploy({ app_name: 'bg', strategy: 'blue-green' });
    assert.equal(third.state, 'RolledBack');
    assert.equal(
      standIn.get('', 'services', 'default', 'bg-svc')?.spec.selector['ashapp.io/colour'],
      'green',
    );
    assert.equal(imageOf('bg-green'), pushed('bg', 2));
  });

  test('canary: a share of replicas on the new version, then promoted; a failing canary is removed and the stable stays', async () => {
    const first = await deploy({ app_name: 'can', replicas: 4 });
    assert.equal(first.state, 'Stable');
    const second = await deploy({ app_name: 'can', replicas: 4, strategy: 'canary', canary_percent: 25 });
    assert.equal(second.state, 'Stable', second.error ?? '');
    assert.ok(
      second.events.some((e) => /canary with 25% of 4 replicas beside the stable version/.test(e.text)),
    );
    assert.ok(second.events.some((e) => /promoting/.test(e.text)));
    assert.equal(imageOf('can'), pushed('can', 2), 'stable promoted to the canary version');
    assert.equal(
      standIn.get('apps', 'deployments', 'default', 'can-canary'),
      undefined,
      'canary workload removed',
    );

    behaviours.set(pushed('can', 3), 'image-pull-error');
    const third = await deploy({ app_name: 'can', replicas: 4, strategy: 'canary', canary_percent: 25 });
    assert.equal(third.state, 'RolledBack');
    assert.ok(third.events.some((e) => /removing the canary/.test(e.text)));
    assert.equal(standIn.get('apps', 'deployments', 'default', 'can-canary'), undefined);
    assert.equal(imageOf('can'), pushed('can', 2), 'stable never changed');
  });
});
