import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { NotAllowedError } from '@ashapp/platform';
import { pino } from 'pino';
import { renderManifests } from '../manifests/render-manifests.ts';
import { createManifestValidator } from '../manifests/validate-manifests.ts';
import { createKubernetesTarget, type KubernetesTarget } from './kubernetes-target.ts';
import {
  type StrategySpec,
  abortCanary,
  deployBlueGreen,
  promoteCanary,
  readCanaryReplicas,
  readLiveColour,
  startCanary,
  switchBlueGreen,
} from './strategies.ts';
import type { RolloutEvent } from './deploy-target.ts';
import { startKubeStandIn, type ImageBehaviour, type KubeStandIn } from '../../test/kube-stand-in.ts';
import { standInKubeConfig } from '../../test/stand-in-kubeconfig.ts';

const token = 'stand-in-token';
const owner = 'arn:aws:iam::111111111111:user/alice';
const log = pino({ level: 'silent' });

const makeKubeConfig = (server: string, userToken = token) => standInKubeConfig(server, userToken);

const spec = (patch: Partial<StrategySpec> = {}): StrategySpec => ({
  owner,
  appName: 'app',
  namespace: 'default',
  image: 'registry.example.com/ashwanth01/app:r1',
  kind: 'Deployment',
  replicas: 2,
  serviceType: 'NodePort',
  containerPort: 5000,
  revision: 1,
  ...patch,
});

const follow = (events: RolloutEvent[] = []) => ({
  timeoutMs: 5000,
  onEvent: (e: RolloutEvent) => events.push(e),
});

describe('kubernetes target against a Kubernetes API stand-in (client-node unchanged, real HTTP)', () => {
  let standIn: KubeStandIn;
  let target: KubernetesTarget;
  const behaviours = new Map<string, ImageBehaviour>();

  before(async () => {
    standIn = await startKubeStandIn({ token, behaviour: (image) => behaviours.get(image) ?? 'ok' });
    target = createKubernetesTarget({
      log,
      kubeConfig: makeKubeConfig(standIn.url),
      validator: createManifestValidator(),
      pollIntervalMs: 10,
    });
  });
  after(async () => {
    await standIn?.stop();
  });

  test('applies with server-side apply (PATCH application/apply-patch+yaml, fieldManager=ashapp, force)', async () => {
    const result = await target.apply(renderManifests(spec({ appName: 'ssa' })), {
      namespace: 'default',
      owner,
    });
    assert.deepEqual(result.applied, [
      'deployment.apps/ssa serverside-applied',
      'service/ssa-svc serverside-applied',
    ]);
    const patches = standIn.requests.filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      patches.map((p) => p.path),
      ['/apis/apps/v1/namespaces/default/deployments/ssa', '/api/v1/namespaces/default/services/ssa-svc'],
    );
    for (const p of patches) {
      assert.match(p.contentType ?? '', /^application\/apply-patch\+yaml/);
      assert.equal(p.query.fieldManager, 'ashapp');
      assert.equal(p.query.force, 'true');
    }
    assert.equal(
      standIn.get('apps', 'deployments', 'default', 'ssa')?.metadata.managedFields[0].manager,
      'ashapp',
    );
    await target.delete({ appName: 'ssa', namespace: 'default', owner });
  });

  test('follows a rolling rollout to success and reports the NodePort URL on the node address', async () => {
    const events: RolloutEvent[] = [];
    const applied = await target.apply(renderManifests(spec()), { namespace: 'default', owner });
    const result = await target.followRollout(applied.workload, follow(events));
    assert.deepEqual(result, { ok: true, readyReplicas: 2 });
    assert.ok(
      events.some((e) => e.message === 'Deployment/app: 2/2 updated, 2 available'),
      events.map((e) => e.message).join('\n'),
    );
    const nodePort = standIn.get('', 'services', 'default', 'app-svc')?.spec.ports[0].nodePort as number;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    assert.deepEqual(await target.readUrl({ appName: 'app', namespace: 'default', owner }), {
      url: `http://10.0.0.14:${nodePort}/`,
    });
  });

  test('ImagePullBackOff fails the rollout with the pod-level reason; re-applying the previous revision rolls back', async () => {
    const bad = 'registry.example.com/ashwanth01/app:r2';
    behaviours.set(bad, 'image-pull-error');
    const events: RolloutEvent[] = [];
    const applied = await target.apply(renderManifests(spec({ image: bad, revision: 2 })), {
      namespace: 'default',
      owner,
    });
    const result = await target.followRollout(applied.workload, follow(events));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.reason, 'ImagePullBackOff');
    assert.match(result.message, /Back-off pulling image "registry\.example\.com\/ashwanth01\/app:r2"/);
    assert.ok(events.some((e) => e.reason === 'ErrImagePull'));
    // The old pods kept serving during the failed rollout (maxUnavailable 0).
    const pods = standIn
      .list('', 'pods', 'default')
      .filter((p) => p.metadata.labels['app.kubernetes.io/instance'] === 'app');
    assert.equal(pods.filter((p) => p.spec.containers[0].image.endsWith(':r1')).length, 2);

    // Automatic rollback: the previous revision's exact manifest is applied again.
    const rolledBack = await target.apply(renderManifests(spec()), { namespace: 'default', owner });
    assert.deepEqual(await target.followRollout(rolledBack.workload, follow()), {
      ok: true,
      readyReplicas: 2,
    });
    const after = standIn
      .list('', 'pods', 'default')
      .filter((p) => p.metadata.labels['app.kubernetes.io/instance'] === 'app');
    assert.deepEqual(
      after.map((p) => p.spec.containers[0].image),
      [spec().image, spec().image],
    );
  });

  test('CrashLoopBackOff and Unschedulable fail the rollout with their reasons', async () => {
    behaviours.set('registry.example.com/x/crash:1', 'crash');
    behaviours.set('registry.example.com/x/big:1', 'unschedulable');
    const crash = await target.apply(
      renderManifests(spec({ appName: 'crashy', image: 'registry.example.com/x/crash:1' })),
      { namespace: 'default', owner },
    );
    const crashed = await target.followRollout(crash.workload, follow());
    assert.ok(!crashed.ok);
    assert.equal(crashed.reason, 'CrashLoopBackOff');
    assert.match(crashed.message, /back-off 10s restarting failed container=app/);

    const events: RolloutEvent[] = [];
    const big = await target.apply(
      renderManifests(spec({ appName: 'big', image: 'registry.example.com/x/big:1' })),
      { namespace: 'default', owner },
    );
    const unscheduled = await target.followRollout(big.workload, follow(events));
    assert.ok(!unscheduled.ok);
    assert.equal(unscheduled.reason, 'Unschedulable');
    assert.match(unscheduled.message, /Insufficient cpu/);
    await target.delete({ appName: 'crashy', namespace: 'default', owner });
    await target.delete({ appName: 'big', namespace: 'default', owner });
  });

  test('gives up after the timeout when pods never become ready', async () => {
    behaviours.set('registry.example.com/x/slow:1', 'never-ready');
    const slow = await target.apply(
      renderManifests(spec({ appName: 'slow', image: 'registry.example.com/x/slow:1' })),
      { namespace: 'default', owner },
    );
    const started = Date.now();
    const result = await target.followRollout(slow.workload, { timeoutMs: 300 });
    assert.ok(!result.ok);
    assert.equal(result.reason, 'Timeout');
    assert.ok(Date.now() - started < 2000);
    await target.delete({ appName: 'slow', namespace: 'default', owner });
  });

  test('reports the in-cluster DNS name with a port-forward hint for ClusterIP, and the address for LoadBalancer', async () => {
    await target.apply(renderManifests(spec({ appName: 'inside', serviceType: 'ClusterIP' })), {
      namespace: 'team-a',
      owner,
    });
    assert.deepEqual(await target.readUrl({ appName: 'inside', namespace: 'team-a', owner }), {
      url: 'http://inside-svc.team-a.svc.cluster.local:5000/',
      hint: 'kubectl port-forward -n team-a svc/inside-svc 8080:5000',
    });
    await target.apply(renderManifests(spec({ appName: 'public', serviceType: 'LoadBalancer' })), {
      namespace: 'team-a',
      owner,
    });
    assert.deepEqual(await target.readUrl({ appName: 'public', namespace: 'team-a', owner }), {
      url: 'http://203.0.113.10:5000/',
    });
    assert.equal(await target.readUrl({ appName: 'missing', namespace: 'team-a', owner }), undefined);
  });

  test('rolls a ReplicaSet to a new revision by replacing pods of the old template', async () => {
    const rs = (revision: number) =>
      renderManifests(
        spec({
          appName: 'rs',
          kind: 'ReplicaSet',
          image: `registry.example.com/x/rs:r${revision}`,
          revision,
        }),
      );
    const first = await target.apply(rs(1), { namespace: 'default', owner });
    assert.deepEqual(await target.followRollout(first.workload, follow()), { ok: true, readyReplicas: 2 });
    const second = await target.apply(rs(2), { namespace: 'default', owner });
    assert.deepEqual(await target.followRollout(second.workload, follow()), { ok: true, readyReplicas: 2 });
    const images = standIn
      .list('', 'pods', 'default')
      .filter((p) => p.metadata.labels['app.kubernetes.io/name'] === 'rs')
      .map((p) => p.spec.containers[0].image);
    assert.deepEqual(images, ['registry.example.com/x/rs:r2', 'registry.example.com/x/rs:r2']);
    await target.delete({ appName: 'rs', namespace: 'default', owner });
    assert.equal(standIn.get('apps', 'replicasets', 'default', 'rs'), undefined);
  });

  test('blue-green: new colour beside the old, Service switched only when healthy, old colour kept for instant rollback', async () => {
    const bg = (revision: number) => ({
      ...spec({ appName: 'bg', image: `registry.example.com/x/bg:r${revision}`, revision }),
    });
    const first = await deployBlueGreen(target, bg(1), follow());
    assert.deepEqual(first, { ok: true, live: 'blue', previous: undefined });
    const second = await deployBlueGreen(target, bg(2), follow());
    assert.deepEqual(second, { ok: true, live: 'green', previous: 'blue' });
    assert.equal(
      standIn.get('apps', 'deployments', 'default', 'bg-blue')?.spec.template.spec.containers[0].image,
      'registry.example.com/x/bg:r1',
    );
    assert.equal(
      standIn.get('', 'services', 'default', 'bg-svc')?.spec.selector['ashapp.io/colour'],
      'green',
    );

    behaviours.set('registry.example.com/x/bg:r3', 'image-pull-error');
    const failed = await deployBlueGreen(target, bg(3), follow());
    assert.equal(failed.ok, false);
    assert.equal(await readLiveColour(target, bg(3)), 'green', 'a failed colour never receives traffic');

    await switchBlueGreen(target, bg(1), 'blue');
    assert.equal(await readLiveColour(target, bg(1)), 'blue');
    await target.delete({ appName: 'bg', namespace: 'default', owner });
    assert.equal(
      standIn.list('apps', 'deployments', 'default').filter((d) => d.metadata.name.startsWith('bg-')).length,
      0,
    );
  });

  test('canary: a share of replicas on the new version, then promote; or abort and keep stable untouched', async () => {
    assert.equal(readCanaryReplicas(4, 0.25), 1);
    assert.equal(readCanaryReplicas(10, 0.3), 3);
    assert.equal(readCanaryReplicas(1, 0.5), 1);
    const cs = (revision: number) =>
      spec({ appName: 'cn', replicas: 4, image: `registry.example.com/x/cn:r${revision}`, revision });
    const stable = await target.apply(renderManifests(cs(1)), { namespace: 'default', owner });
    assert.ok((await target.followRollout(stable.workload, follow())).ok);

    assert.deepEqual(await startCanary(target, cs(2), 0.25, follow()), { ok: true, readyReplicas: 1 });
    assert.equal(standIn.get('apps', 'deployments', 'default', 'cn-canary')?.spec.replicas, 1);
    assert.deepEqual(standIn.get('', 'services', 'default', 'cn-svc')?.spec.selector, {
      'app.kubernetes.io/name': 'cn',
    });
    assert.deepEqual(await promoteCanary(target, cs(2), follow()), { ok: true, readyReplicas: 4 });
    assert.equal(standIn.get('apps', 'deployments', 'default', 'cn-canary'), undefined);
    assert.equal(
      standIn.get('apps', 'deployments', 'default', 'cn')?.spec.template.spec.containers[0].image,
      'registry.example.com/x/cn:r2',
    );

    assert.ok((await startCanary(target, cs(3), 0.25, follow())).ok);
    await abortCanary(target, cs(3));
    assert.equal(standIn.get('apps', 'deployments', 'default', 'cn-canary'), undefined);
    assert.equal(
      standIn.get('apps', 'deployments', 'default', 'cn')?.spec.template.spec.containers[0].image,
      'registry.example.com/x/cn:r2',
    );
    await target.delete({ appName: 'cn', namespace: 'default', owner });
  });

  test('refuses invalid manifests before sending anything', async () => {
    const before = standIn.requests.length;
    const objects = renderManifests(spec({ appName: 'bad' }));
    (objects[0]!.spec as Record<string, unknown>).replicas = -1;
    await assert.rejects(target.apply(objects, { namespace: 'default', owner }), /manifest: /);
    assert.equal(standIn.requests.length, before);
  });

  test('deletes everything of an app and treats a missing app as done', async () => {
    await target.delete({ appName: 'app', namespace: 'default', owner });
    assert.equal(standIn.get('apps', 'deployments', 'default', 'app'), undefined);
    assert.equal(standIn.get('', 'services', 'default', 'app-svc'), undefined);
    assert.equal(
      standIn
        .list('', 'pods', 'default')
        .filter((p) => p.metadata.labels['app.kubernetes.io/instance'] === 'app').length,
      0,
    );
    await target.delete({ appName: 'app', namespace: 'default', owner });
  });

  test("alice {b-c in a} and bob {c in a-b} stay apart; bob can neither overwrite nor delete alice's objects", async () => {
    const bob = 'arn:aws:iam::111111111111:user/bob';
    const aliceApp = { appName: 'b-c', namespace: 'a', owner };
    const bobApp = { appName: 'c', namespace: 'a-b', owner: bob };
    await target.apply(renderManifests(spec({ ...aliceApp, image: 'registry.example.com/alice/b-c:r1' })), {
      namespace: 'a',
      owner,
    });
    await target.apply(renderManifests(spec({ ...bobApp, image: 'registry.example.com/bob/c:r1' })), {
      namespace: 'a-b',
      owner: bob,
    });
    assert.equal(
      standIn.get('apps', 'deployments', 'a', 'b-c')?.metadata.annotations['ashapp.io/owner'],
      owner,
    );
    assert.equal(
      standIn.get('apps', 'deployments', 'a-b', 'c')?.metadata.annotations['ashapp.io/owner'],
      bob,
    );
    await target.delete(aliceApp);
    assert.equal(standIn.get('apps', 'deployments', 'a', 'b-c'), undefined);
    assert.ok(standIn.get('apps', 'deployments', 'a-b', 'c'), "alice's delete left bob's app alone");
    assert.equal(await target.readStatus(aliceApp), 'missing');

    // The same (namespace, app) held by alice: bob's apply is refused before anything is written, his delete skips it.
    await target.apply(
      renderManifests(
        spec({ appName: 'shared', namespace: 'team', image: 'registry.example.com/alice/shared:r1' }),
      ),
      { namespace: 'team', owner },
    );
    const writes = standIn.requests.filter((r) => r.method === 'PATCH').length;
    await assert.rejects(
      target.apply(
        renderManifests(
          spec({ appName: 'shared', namespace: 'team', image: 'registry.example.com/bob/shared:r1' }),
        ),
        { namespace: 'team', owner: bob },
      ),
      NotAllowedError,
    );
    assert.equal(standIn.requests.filter((r) => r.method === 'PATCH').length, writes, 'nothing was written');
    assert.equal(
      standIn.get('apps', 'deployments', 'team', 'shared')?.spec.template.spec.containers[0].image,
      'registry.example.com/alice/shared:r1',
    );
    assert.equal(await target.readStatus({ appName: 'shared', namespace: 'team', owner: bob }), 'foreign');
    await target.delete({ appName: 'shared', namespace: 'team', owner: bob });
    assert.ok(
      standIn.get('apps', 'deployments', 'team', 'shared'),
      "bob's delete did not remove alice's Deployment",
    );
    assert.ok(
      standIn.get('', 'services', 'team', 'shared-svc'),
      "bob's delete did not remove alice's Service",
    );
    await target.delete({ appName: 'shared', namespace: 'team', owner });
    await target.delete(bobApp);
  });

  test('never overwrites an object ASHapp did not make (e.g. a kube-system Service of the same name)', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(makeKubeConfig(standIn.url));
    await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'dns-svc', namespace: 'kube-system' },
        spec: { ports: [{ port: 53 }] },
      } as k8s.KubernetesObject,
      undefined,
      undefined,
      'someone-else',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    await assert.rejects(
      target.apply(renderManifests(spec({ appName: 'dns', namespace: 'kube-system' })), {
        namespace: 'kube-system',
        owner,
      }),
      /Service\/dns-svc in kube-system was not changed: it exists and is not managed by ASHapp/,
    );
    assert.equal(standIn.get('apps', 'deployments', 'kube-system', 'dns'), undefined, 'nothing was applied');
    await target.delete({ appName: 'dns', namespace: 'kube-system', owner });
    assert.ok(standIn.get('', 'services', 'kube-system', 'dns-svc'), 'delete left it alone');
  });

  test("creates a user's namespace on first deploy (the API refuses objects in a missing one) and leaves existing ones unchanged", async () => {
    assert.equal(standIn.get('', 'namespaces', '', 'u-carol-0123456789ab'), undefined);
    await target.apply(renderManifests(spec({ appName: 'first', namespace: 'u-carol-0123456789ab' })), {
      namespace: 'u-carol-0123456789ab',
      owner,
    });
    assert.equal(
      standIn.get('', 'namespaces', '', 'u-carol-0123456789ab')?.metadata.labels[
        'app.kubernetes.io/managed-by'
      ],
      'ashapp',
    );
    assert.ok(standIn.get('apps', 'deployments', 'u-carol-0123456789ab', 'first'));
    const before = standIn.get('', 'namespaces', '', 'default')?.metadata.resourceVersion;
    await target.apply(renderManifests(spec({ appName: 'second' })), { namespace: 'default', owner });
    assert.equal(
      standIn.get('', 'namespaces', '', 'default')?.metadata.resourceVersion,
      before,
      'default was not re-applied',
    );
    await target.delete({ appName: 'first', namespace: 'u-carol-0123456789ab', owner });
    await target.delete({ appName: 'second', namespace: 'default', owner });
  });

  test("a workload removed behind the deployer's back reads as missing", async () => {
    const app = { appName: 'vanish', namespace: 'default', owner };
    const applied = await target.apply(renderManifests(spec(app)), { namespace: 'default', owner });
    assert.ok((await target.followRollout(applied.workload, follow())).ok);
    assert.equal(await target.readStatus(app), 'running');
    await k8s.KubernetesObjectApi.makeApiClient(makeKubeConfig(standIn.url)).delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vanish', namespace: 'default' },
    });
    assert.equal(await target.readStatus(app), 'missing');
    await target.delete(app);
  });

  test('reports the API server refusing the credentials', async () => {
    const wrong = createKubernetesTarget({
      log,
      kubeConfig: makeKubeConfig(standIn.url, 'wrong'),
      validator: createManifestValidator(),
    });
    assert.equal(await wrong.available(), false);
    await assert.rejects(
      wrong.apply(renderManifests(spec({ appName: 'nope' })), { namespace: 'default', owner }),
      /^UpstreamError: kubernetes: .*failed: 401: Unauthorized/,
    );
  });
});

const realKubeconfig = process.env.ASHAPP_TEST_KUBECONFIG;
test(
  'deploys to a real cluster and deletes again',
  realKubeconfig
    ? { timeout: 300_000 }
    : { skip: 'ASHAPP_TEST_KUBECONFIG is not set: no real cluster to deploy to' },
  async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(realKubeconfig!);
    const target = createKubernetesTarget({ log, kubeConfig: kc, validator: createManifestValidator() });
    const namespace = process.env.ASHAPP_TEST_NAMESPACE ?? 'default';
    const app = { appName: `ashapp-test-${Date.now().toString(36)}`, namespace, owner };
    // A public image that serves HTTP as a non-root user on 8080, with /healthz answered by its default page.
    const image = process.env.ASHAPP_TEST_IMAGE ?? 'docker.io/nginxinc/nginx-unprivileged:1.27-alpine';
    try {
      const applied = await target.apply(
        renderManifests({
          ...app,
          image,
          kind: 'Deployment',
          replicas: 1,
          serviceType: 'ClusterIP',
          containerPort: 8080,
          revision: 1,
          probePath: '/',
        }),
        { namespace, owner },
      );
      const result = await target.followRollout(applied.workload, {
        timeoutMs: 240_000,
        onEvent: (e) => console.log(e.message),
      });
      assert.deepEqual(result, { ok: true, readyReplicas: 1 });
      assert.match((await target.readUrl(app))?.url ?? '', /svc\.cluster\.local/);
    } finally {
      await target.delete(app);
    }
  },
);
