import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@ashapp/platform';
import { createManifestValidator } from './index.ts';
import { createSchemaCheck } from './schema-check.ts';

const statefulSet = () => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'mariadb', namespace: 'ashapp', labels: { 'app.kubernetes.io/name': 'mariadb' } },
  spec: {
    serviceName: 'mariadb',
    replicas: 1,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'mariadb' } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'mariadb' } },
      spec: {
        containers: [
          {
            name: 'mariadb',
            image: 'docker.io/library/mariadb:11.4',
            ports: [{ name: 'mysql', containerPort: 3306 }],
          },
        ],
      },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      },
    ],
  },
});

const networkPolicy = () => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny', namespace: 'ashapp' },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
});

describe('one manifest validator for every Kubernetes kind (kubernetes-models schemas + strict fields + API rules)', () => {
  const validator = createManifestValidator();

  test('accepts valid objects of kinds beyond the deployer’s (StatefulSet, NetworkPolicy, Role)', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'deployer', namespace: 'apps' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
    };
    assert.deepEqual(validator.validate([statefulSet(), networkPolicy(), role]), []);
  });

  test('reports a misspelt field anywhere in the tree, as strict field validation would', () => {
    const policy = networkPolicy() as Record<string, unknown>;
    (policy.spec as Record<string, unknown>).policyType = ['Ingress'];
    const set = statefulSet();
    (set.spec.template.spec.containers[0] as Record<string, unknown>).readinesProbe = {
      httpGet: { path: '/ready', port: 'mysql' },
    };
    const problems = validator.validate([policy, set]).map((p) => `${p.path} ${p.message}`);
    assert.deepEqual(problems, [
      'NetworkPolicy/default-deny: spec.policyType unknown field',
      'StatefulSet/mariadb: spec.template.spec.containers[0].readinesProbe unknown field',
    ]);
  });

  test('reports schema enums and required fields from the OpenAPI document', () => {
    const policy = networkPolicy();
    policy.spec.policyTypes = ['Sideways'];
    const set = statefulSet() as { spec: Record<string, unknown> };
    delete set.spec.selector;
    const problems = validator.validate([policy, set]).map((p) => `${p.path} ${p.message}`);
    assert.ok(
      problems.some((p) => p.startsWith('NetworkPolicy/default-deny: spec.policyTypes[0] must be one of')),
      problems.join('\n'),
    );
    assert.ok(problems.includes('StatefulSet/mariadb: spec.selector is required'), problems.join('\n'));
  });

  test('refuses a kind the schemas do not know instead of passing it unchecked', () => {
    const problems = validator.validate([
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
    ]);
    assert.deepEqual(problems, [
      { path: 'Widget/w: apiVersion/kind', message: 'example.com/v1/Widget has no Kubernetes schema' },
    ]);
  });

  test('limits callers to their allowed kinds and throws a 400 naming the problem', () => {
    const limited = createManifestValidator({
      allowedKinds: ['v1/Service'],
      refusal: 'is not applied by this caller',
    });
    assert.throws(
      () => limited.assertValid([networkPolicy()]),
      (err: unknown) =>
        err instanceof InputError &&
        /NetworkPolicy\/default-deny: apiVersion\/kind networking.k8s.io\/v1\/NetworkPolicy is not applied by this caller/.test(
          err.message,
        ),
    );
  });

  test('refuses to start without the schemas instead of passing everything', () => {
    assert.throws(
      () => createSchemaCheck({ modelsPackage: 'kubernetes-models-not-installed' }),
      /the Kubernetes schemas \(npm package kubernetes-models-not-installed\) are not installed; run npm ci/,
    );
  });

  test('accepts Secret data wrapped over lines (as kustomize writes it, as the API server decodes it) and refuses what is not base64', () => {
    const secret = (value: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { KEY: value },
    });
    const wrapped = `${Buffer.from('a'.repeat(64)).toString('base64').slice(0, 70)}\n${Buffer.from('a'.repeat(64)).toString('base64').slice(70)}\n`;
    assert.deepEqual(validator.validate([secret(wrapped)]), []);
    assert.deepEqual(
      validator.validate([secret('not base64!')]).map((p) => p.path),
      ['Secret/s: data.KEY'],
    );
  });
});
