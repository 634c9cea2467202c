import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { InputError } from '@ashapp/platform';
import {
  renderManifests,
  renderWorkload,
  serializeManifests,
  type KubeObject,
  type ManifestSpec,
} from './render-manifests.ts';
import { createManifestValidator } from './validate-manifests.ts';
import { previewManifests } from './preview.ts';

const base: ManifestSpec = {
  appName: 'app',
  namespace: 'default',
  image: 'docker.io/ashwanth01/app:r1',
  kind: 'Deployment',
  replicas: 2,
  serviceType: 'NodePort',
  containerPort: 5000,
  revision: 1,
};

function at(object: KubeObject, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

describe('rendered manifests', () => {
  const validator = createManifestValidator();

  test('renders the screenshot deployment: Deployment + NodePort Service on port 5000, valid against the schemas', () => {
    const objects = renderManifests(base);
    assert.deepEqual(
      objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`),
      ['apps/v1/Deployment/app', 'v1/Service/app-svc'],
    );
    assert.deepEqual(validator.validate(objects), []);
    const [workload, service] = objects as [KubeObject, KubeObject];
    assert.equal(at(workload, 'spec.replicas'), 2);
    const container =
      (at(workload, 'spec.template.spec.containers') as Array<Record<string, unknown>>)[0] ?? {};
    assert.equal(container.image, 'docker.io/ashwanth01/app:r1');
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 5000, protocol: 'TCP' }]);
    assert.equal(at(service, 'spec.type'), 'NodePort');
    assert.deepEqual((at(service, 'spec.ports') as unknown[])[0], {
      name: 'http',
      port: 5000,
      targetPort: 'http',
      protocol: 'TCP',
    });
  });

  test('sets resources, probes, a non-root read-only security context with a /tmp volume, labels and the revision', () => {
    const workload = renderWorkload({ ...base, revision: 7 });
    const pod = at(workload, 'spec.template.spec') as Record<string, unknown>;
    const container = (
      pod.containers as Array<{
        securityContext: unknown;
        volumeMounts: unknown;
        resources: unknown;
        readinessProbe: { httpGet: { path: string; port: string } };
        livenessProbe: { httpGet: { path: string; port: string } };
      }>
    )[0]!;
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(container.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
    assert.equal(container.readinessProbe.httpGet.path, '/healthz');
    assert.equal(container.livenessProbe.httpGet.port, 'http');
    assert.deepEqual(container.resources, {
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
    assert.equal(workload.metadata.annotations?.['ashapp.io/revision'], '7');
    assert.equal(
      (at(workload, 'spec.template.metadata.annotations') as Record<string, string>)['ashapp.io/revision'],
      '7',
    );
    assert.deepEqual(workload.metadata.labels, {
      'app.kubernetes.io/name': 'app',
      'app.kubernetes.io/instance': 'app',
      'app.kubernetes.io/version': 'r7',
      'app.kubernetes.io/component': 'web',
      'app.kubernetes.io/managed-by': 'ashapp',
    });
  });

  test('renders a ReplicaSet without Deployment-only fields, and ClusterIP / LoadBalancer Services', () => {
    for (const serviceType of ['ClusterIP', 'LoadBalancer'] as const) {
      const objects = renderManifests({ ...base, kind: 'ReplicaSet', serviceType });
      assert.equal(objects[0]?.kind, 'ReplicaSet');
      assert.equal(at(objects[0]!, 'spec.strategy'), undefined);
      assert.equal(at(objects[1]!, 'spec.type'), serviceType);
      assert.deepEqual(validator.validate(objects), []);
    }
  });

  test('adds an Ingress and an HPA when asked, both valid', () => {
    const objects = renderManifests({
      ...base,
      ingress: { host: 'app.example.com', className: 'nginx' },
      hpa: { minReplicas: 2, maxReplicas: 5, cpuUtilization: 70 },
    });
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler'],
    );
    assert.deepEqual(validator.validate(objects), []);
    assert.deepEqual(at(objects[3]!, 'spec.scaleTargetRef'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'app',
    });
  });

  test('blue-green: each colour has its own workload and the Service selects the live colour', () => {
    const green = renderManifests({
      ...base,
      strategy: { type: 'blue-green', colour: 'green', serviceColour: 'blue' },
    });
    assert.equal(green[0]?.metadata.name, 'app-green');
    assert.equal(
      (at(green[0]!, 'spec.selector.matchLabels') as Record<string, string>)['ashapp.io/colour'],
      'green',
    );
    assert.deepEqual(at(green[1]!, 'spec.selector'), {
      'app.kubernetes.io/name': 'app',
      'ashapp.io/colour': 'blue',
    });
    assert.deepEqual(validator.validate(green), []);
  });

  test('canary: the canary workload has its own name and track; the Service selects both tracks', () => {
    const canary = renderManifests({ ...base, replicas: 1, strategy: { type: 'canary', track: 'canary' } });
    assert.equal(canary[0]?.metadata.name, 'app-canary');
    assert.equal(canary[0]?.metadata.labels?.['ashapp.io/track'], 'canary');
    assert.deepEqual(at(canary[1]!, 'spec.selector'), { 'app.kubernetes.io/name': 'app' });
    const stable = renderWorkload({ ...base, strategy: { type: 'canary', track: 'stable' } });
    assert.equal(stable.metadata.name, 'app');
    assert.deepEqual(validator.validate(canary), []);
  });

  test('refuses bad settings with a 400 naming the field before anything is rendered', () => {
    const cases: Array<[Partial<ManifestSpec>, string]> = [
      [{ appName: 'a\n  b: c' }, 'app_name'],
      [{ namespace: 'x;y' }, 'namespace'],
      [{ image: 'img\nkind: Secret' }, 'image'],
      [{ containerPort: 70000 }, 'container_port'],
      [{ nodePort: 80 }, 'node_port'],
      [
        { resources: { requests: { cpu: '1; rm', memory: '1Mi' }, limits: { cpu: '1', memory: '1Mi' } } },
        'resources.requests.cpu',
      ],
      [{ ingress: { host: 'bad host' } }, 'ingress.host'],
      [{ hpa: { minReplicas: 3, maxReplicas: 2, cpuUtilization: 50 } }, 'hpa.max_replicas'],
    ];
    for (const [patch, field] of cases) {
      assert.throws(
        () => renderManifests({ ...base, ...patch }),
        (err: unknown) => err instanceof InputError && err.details?.field === field,
        field,
      );
    }
  });

  test('serializes to YAML that parses back to the same objects', () => {
    const objects = renderManifests(base);
    const docs = parseAllDocuments(serializeManifests(objects)).map((d) => d.toJSON() as unknown);
    assert.deepEqual(docs, objects);
  });

  test('preview returns objects and YAML without a cluster', () => {
    const preview = previewManifests(base, validator);
    assert.equal(preview.objects.length, 2);
    assert.match(preview.yaml, /^kind: Deployment$/m);
    assert.match(preview.yaml, /^---$/m);
  });
});

describe('manifest validation against the Kubernetes schemas (@ashapp/kube-schemas)', () => {
  const validator = createManifestValidator();
  const valid = () => structuredClone(renderManifests(base));

  test('reports unknown fields, wrong types and missing required fields with their paths', () => {
    const objects = valid();
    const container = (
      at(objects[0]!, 'spec.template.spec.containers') as Array<Record<string, unknown>>
    )[0]!;
    container.bogus = 1;
    delete container.name;
    (objects[0]!.spec as Record<string, unknown>).replicas = 'two';
    (at(objects[1]!, 'spec.ports') as Array<Record<string, unknown>>)[0]!.port = 5000.5;
    const problems = validator.validate(objects).map((p) => `${p.path} ${p.message}`);
    assert.ok(
      problems.includes('Deployment/app: spec.template.spec.containers[0].bogus unknown field'),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes('Deployment/app: spec.template.spec.containers[0].name is required'),
      problems.join('\n'),
    );
    assert.ok(problems.includes('Deployment/app: spec.replicas must be a number'), problems.join('\n'));
    assert.ok(
      problems.includes('Service/app-svc: spec.ports[0].port must be an integer'),
      problems.join('\n'),
    );
  });

  test('reports rules the API server enforces: selector vs template labels, label values, enums, node ports', () => {
    const objects = valid();
    (at(objects[0]!, 'spec.template.metadata.labels') as Record<string, string>)['app.kubernetes.io/name'] =
      'other';
    objects[0]!.metadata.labels!['bad'] = 'has space';
    (objects[1]!.spec as Record<string, unknown>).type = 'Magic';
    (at(objects[1]!, 'spec.ports') as Array<Record<string, unknown>>)[0]!.nodePort = 80;
    const problems = validator.validate(objects).map((p) => `${p.path} ${p.message}`);
    assert.ok(
      problems.some((p) =>
        p.startsWith('Deployment/app: spec.template.metadata.labels must match the selector'),
      ),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes('Deployment/app: metadata.labels.bad is not a valid label value'),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('Service/app-svc: spec.type must be one of')),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes('Service/app-svc: spec.ports[0].nodePort must be in the node port range 30000-32767'),
      problems.join('\n'),
    );
  });

  test('refuses kinds the deployer does not apply', () => {
    const problems = validator.validate([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }]);
    assert.equal(problems.length, 1);
    assert.throws(
      () =>
        validator.assertValid([
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } },
        ]),
      InputError,
    );
  });
});
