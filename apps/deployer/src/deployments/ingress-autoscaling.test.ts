import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { createManifestValidator } from '../manifests/validate-manifests.ts';
import type { RegistrySignInChecker } from '../registry/registry-sign-in.ts';
import { createKubernetesTarget } from '../targets/kubernetes-target.ts';
import { startKubeStandIn, type KubeStandIn } from '../../test/kube-stand-in.ts';
import { standInKubeConfig } from '../../test/stand-in-kubeconfig.ts';
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

const ingress = { host: 'shop.example.com', path: '/app', tls_secret: 'shop-tls' };
const autoscaling = { min_replicas: 2, max_replicas: 6, cpu_percent: 70 };

describe('Ingress and autoscaling on the podman-like target: preview shows them, deploy says they need Kubernetes', () => {
  let deployer: TestDeployer;
  let target: FakeTarget;

  before(async () => {
    target = await createFakeTarget();
    deployer = await startTestDeployer({ builder: createFakeBuilder(), target });
  });
  after(async () => {
    await deployer?.close();
    await target?.close();
  });

  const post = (url: string, payload: Record<string, unknown>) =>
    deployer.app.inject({ method: 'POST', url, payload, headers: identityHeaders(users.alice) });

  test('preview renders an Ingress with its TLS secret and a HorizontalPodAutoscaler for the workload', async () => {
    const res = await post('/deployer-api/preview', {
      app_name: 'shop',
      code: helloCode,
      ingress,
      autoscaling,
    });
    assert.equal(res.statusCode, 200, res.body);
    const objects = res.json().objects as Array<{ kind: string; spec: Record<string, unknown> }>;
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler'],
    );
    const ing = objects[2]!.spec as {
      rules: Array<{ host: string; http: { paths: Array<{ path: string; backend: unknown }> } }>;
      tls: unknown;
    };
    assert.equal(ing.rules[0]!.host, 'shop.example.com');
    assert.equal(ing.rules[0]!.http.paths[0]!.path, '/app');
    assert.deepEqual(ing.rules[0]!.http.paths[0]!.backend, {
      service: { name: 'shop-svc', port: { name: 'http' } },
    });
    assert.deepEqual(ing.tls, [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
    const hpa = objects[3]!.spec as {
      minReplicas: number;
      maxReplicas: number;
      scaleTargetRef: { name: string };
      metrics: unknown;
    };
    assert.equal(hpa.minReplicas, 2);
    assert.equal(hpa.maxReplicas, 6);
    assert.equal(hpa.scaleTargetRef.name, 'shop');
    assert.match(JSON.stringify(hpa.metrics), /"averageUtilization":70/);
    assert.match(res.json().manifests, /kind: Ingress[\s\S]*kind: HorizontalPodAutoscaler/);
  });

  test('a deploy with an Ingress or autoscaling to podman is a 400 that says they only apply on Kubernetes, and nothing runs', async () => {
    for (const extra of [{ ingress }, { autoscaling }]) {
      const res = await post('/deployer-api/deploy', { app_name: 'shop', code: helloCode, ...extra });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().error.message, /only apply on the kubernetes target.*podman/);
    }
    assert.equal(target.applied.length, 0);
  });

  test('refuses bad Ingress and autoscaling settings with a 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ingress: { host: 'bad_host!' } }, /^ingress\.host:/],
      [{ ingress: { host: 'a.example.com\nkind: Secret' } }, /^ingress\.host:/],
      [{ ingress: { host: 'a.example.com', path: 'no-slash' } }, /^ingress\.path:/],
      [{ ingress: { host: 'a.example.com', tls_secret: 'Bad Secret' } }, /^ingress\.tls_secret:/],
      [{ ingress: { host: 'a.example.com', extra: 1 } }, /extra|additional/i],
      [{ autoscaling: { min_replicas: 5, max_replicas: 2 } }, /^autoscaling\.max_replicas: must be at least/],
      [{ autoscaling: { max_replicas: 3, cpu_percent: 0 } }, /^autoscaling\.cpu_percent:/],
      [{ autoscaling: { max_replicas: 500 } }, /^autoscaling\.max_replicas:/],
    ];
    for (const [extra, expected] of cases) {
      const res = await post('/deployer-api/preview', { app_name: 'shop', code: helloCode, ...extra });
      assert.equal(res.statusCode, 400, `${JSON.stringify(extra)}: ${res.body}`);
      assert.match(res.json().error.message, expected, JSON.stringify(extra));
    }
  });

  test('the capabilities say Ingress and autoscaling need the kubernetes target here', async () => {
    const res = await deployer.app.inject({
      url: '/deployer-api/capabilities',
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().ingress_autoscaling, false);
    assert.match(res.json().notes.join(' '), /Ingress and autoscaling apply on a Kubernetes cluster only/);
  });
});

describe('the kubernetes target: Ingress and HPA applied, a crash at import explained (Kubernetes API stand-in, real HTTP)', () => {
  let standIn: KubeStandIn;
  let deployer: TestDeployer;
  const token = 'stand-in-token';

  before(async () => {
    // An image tagged for the crash test crashes at import, as a missing module would.
    standIn = await startKubeStandIn({
      token,
      behaviour: (image) => (image.includes('/crashy:') ? 'crash' : 'ok'),
    });
    const kubeConfig = standInKubeConfig(standIn.url, token);
    const { log } = createCapturingLogger('kube');
    const registryChecker: RegistrySignInChecker = {
      verifyCredentials: async ({ registry }) => ({
        registry: registry ?? 'docker.io',
        apiHost: registry ?? '',
        scheme: 'basic',
      }),
    };
    deployer = await startTestDeployer({
      builder: createFakeBuilder(),
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
      payload: {
        docker_user: 'ashwanth01',
        docker_token: 'dckr_pat_example',
        registry: 'registry.example.com',
      },
      headers: identityHeaders(users.alice),
    });
    assert.equal(login.statusCode, 200, login.body);
  });
  after(async () => {
    await deployer?.close();
    await standIn?.stop();
  });

  test('a rolling deploy applies the Ingress and the HPA beside the workload and records them in the manifest', async () => {
    const res = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/deploy',
      payload: { app_name: 'shop', code: helloCode, namespace: 'default', ingress, autoscaling },
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    const record = (
      await deployer.app.inject({
        url: `/deployer-api/deployments/${res.json().deployment_id}`,
        headers: identityHeaders(users.alice),
      })
    ).json() as { state: string; error: string | null; manifest: string };
    assert.equal(record.state, 'Stable', record.error ?? '');
    const stored = standIn.get('networking.k8s.io', 'ingresses', 'default', 'shop');
    assert.equal(stored?.spec.rules[0].host, 'shop.example.com');
    assert.equal(stored?.spec.tls[0].secretName, 'shop-tls');
    const hpa = standIn.get('autoscaling', 'horizontalpodautoscalers', 'default', 'shop');
    assert.equal(hpa?.spec.maxReplicas, 6);
    assert.match(record.manifest, /kind: Ingress/);
    assert.match(record.manifest, /kind: HorizontalPodAutoscaler/);
  });

  test('refuses an Ingress with blue-green or canary: the strategy decides which objects exist', async () => {
    for (const strategy of ['blue-green', 'canary']) {
      const res = await deployer.app.inject({
        method: 'POST',
        url: '/deployer-api/deploy',
        payload: { app_name: 'shop', code: helloCode, namespace: 'default', ingress, strategy },
        headers: identityHeaders(users.alice),
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(
        res.json().error.message,
        new RegExp(`^ingress: applies with the rolling strategy only, not ${strategy}`),
      );
    }
  });

  test('a pod that crashes at import: the record names the exception from the crashed run, read through the pod log API', async () => {
    const res = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/deploy',
      payload: { app_name: 'crashy', code: helloCode, namespace: 'default' },
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    const record = (
      await deployer.app.inject({
        url: `/deployer-api/deployments/${res.json().deployment_id}`,
        headers: identityHeaders(users.alice),
      })
    ).json() as { state: string; error: string; events: Array<{ text: string }> };
    assert.equal(record.state, 'RolledBack');
    assert.match(
      record.error.split('\n')[0] ?? '',
      /CrashLoopBackOff.*the app failed with ModuleNotFoundError: No module named 'missing_module'/,
    );
    assert.match(record.error, /First traceback:\nTraceback/);
    const logCall = standIn.requests.find((r) => r.path.endsWith('/log'));
    assert.equal(logCall?.query.previous, 'true');
    assert.equal(logCall?.query.container, 'app');
  });

  test('the capabilities offer Ingress and autoscaling on a cluster', async () => {
    const res = await deployer.app.inject({
      url: '/deployer-api/capabilities',
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.json().ingress_autoscaling, true);
  });
});
