import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildDeployRequest,
  checkDeployForm,
  checkKubernetesName,
  initialDeployForm,
  reduceDeployForm,
  type DeployFormAction,
  type DeployFormState,
} from './deploy-form.ts';

const apply = (...actions: DeployFormAction[]): DeployFormState =>
  actions.reduce(reduceDeployForm, initialDeployForm);

describe('the Deployer form model', () => {
  test('sends pasted code with trimmed names and without an empty requirements.txt', () => {
    const form = apply(
      { type: 'setting', patch: { app_name: '  shop ', namespace: ' team-a ' } },
      { type: 'source-value', key: 'code', value: 'app = 1\n' },
      { type: 'source-value', key: 'requirements', value: '  ' },
    );
    const request = buildDeployRequest(form);
    assert.equal(request.app_name, 'shop');
    assert.equal(request.namespace, 'team-a');
    assert.equal('code' in request && request.code, 'app = 1\n');
    assert.equal('requirements' in request, false);
    assert.equal('repo_url' in request, false);
  });

  test('sends the repository instead of the code once the Git tab is chosen, leaving out empty fields', () => {
    const form = apply(
      { type: 'setting', patch: { app_name: 'shop' } },
      { type: 'source-value', key: 'code', value: 'ignored' },
      { type: 'source', source: 'git' },
      { type: 'source-value', key: 'repoUrl', value: ' https://example.com/r.git ' },
      { type: 'source-value', key: 'tag', value: '' },
    );
    const request = buildDeployRequest(form);
    assert.equal('repo_url' in request && request.repo_url, 'https://example.com/r.git');
    assert.equal('code' in request, false);
    assert.equal('ref' in request || 'image_name' in request || 'tag' in request, false);
  });

  test('sends the canary share only with the canary strategy', () => {
    assert.equal('canary_percent' in buildDeployRequest(initialDeployForm), false);
    const canary = apply({ type: 'setting', patch: { strategy: 'canary', canary_percent: 30 } });
    assert.equal(buildDeployRequest(canary).canary_percent, 30);
  });

  test('sends Ingress and autoscaling only when switched on and with the rolling strategy', () => {
    const advanced = {
      ...initialDeployForm.advanced,
      ingressOn: true,
      host: ' shop.example.com ',
      tlsSecret: ' ',
      autoscaleOn: true,
      maxReplicas: 6,
    };
    const rolling = buildDeployRequest(apply({ type: 'advanced', values: advanced }));
    assert.deepEqual(rolling.ingress, { host: 'shop.example.com', path: '/' });
    assert.deepEqual(rolling.autoscaling, { min_replicas: 2, max_replicas: 6, cpu_percent: 80 });
    const blueGreen = buildDeployRequest(
      apply({ type: 'advanced', values: advanced }, { type: 'setting', patch: { strategy: 'blue-green' } }),
    );
    assert.equal('ingress' in blueGreen || 'autoscaling' in blueGreen, false);
  });

  test('moves to the default namespace when the current one is not allowed, and keeps an allowed one', () => {
    const moved = apply({ type: 'namespaces', allowed: ['team-a', 'team-b'], fallback: 'team-a' });
    assert.equal(moved.settings.namespace, 'team-a');
    const kept = apply(
      { type: 'setting', patch: { namespace: 'team-b' } },
      { type: 'namespaces', allowed: ['team-a', 'team-b'], fallback: 'team-a' },
    );
    assert.equal(kept.settings.namespace, 'team-b');
  });

  test('is ready only with a valid name, a valid namespace and a source; an untouched name is no error yet', () => {
    assert.deepEqual(checkDeployForm(initialDeployForm), {
      nameProblem: undefined,
      namespaceProblem: undefined,
      ready: false,
    });
    const good = apply(
      { type: 'setting', patch: { app_name: 'shop' } },
      { type: 'source-value', key: 'code', value: 'x' },
    );
    assert.equal(checkDeployForm(good).ready, true);
    const badName = reduceDeployForm(good, { type: 'setting', patch: { app_name: 'Shop_1' } });
    assert.match(checkDeployForm(badName).nameProblem ?? '', /lowercase letters, digits and dashes/);
    assert.equal(checkDeployForm(badName).ready, false);
    const noNamespace = reduceDeployForm(good, { type: 'setting', patch: { namespace: '' } });
    assert.equal(checkDeployForm(noNamespace).namespaceProblem, 'Namespace is required.');
    assert.equal(checkDeployForm(noNamespace).ready, false);
    const gitWithoutUrl = reduceDeployForm(good, { type: 'source', source: 'git' });
    assert.equal(checkDeployForm(gitWithoutUrl).ready, false);
  });

  test('checkKubernetesName refuses names over 63 characters', () => {
    assert.equal(checkKubernetesName('a'.repeat(63), 'App name'), undefined);
    assert.equal(checkKubernetesName('a'.repeat(64), 'App name'), 'App name must be at most 63 characters.');
  });
});
