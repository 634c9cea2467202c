// The single-host bootstrap (deploy/terraform/scripts/bootstrap.sh) generates secrets and a site
// kustomization over the production overlay. Its pure steps run here for real (bash, openssl, kubectl
// kustomize); installing k3s and applying need a host and are not run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createManifestValidator } from '@ashapp/kube-schemas';
import { checkPlatformRules } from './platform-rules.ts';
import { renderKustomization, type KubeObject } from './render-kustomize.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const bootstrap = path.join(root, 'deploy/terraform/scripts/bootstrap.sh');

const driver = `set -euo pipefail
source "$BOOTSTRAP" "$CONFIG"
read_config
prepare_secrets
write_site ashapp.example.com true
printf 'changed=%s\\n' "$SITE_CHANGED"
`;

describe('bootstrap: generated secrets and site kustomization', () => {
  let dir = '';
  const outputs: string[] = [];
  let objects: KubeObject[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ashapp-bootstrap-'));
    const config = path.join(dir, 'bootstrap.env');
    await writeFile(
      config,
      [
        'ASHAPP_REPOSITORY_URL=https://example.com/ashapp.git',
        'ASHAPP_REF=v1.2.3',
        'ASHAPP_IMAGE_REGISTRY=ghcr.io/acme',
        'ASHAPP_IMAGE_TAG=1.2.3',
        'ASHAPP_DOMAIN=ashapp.example.com',
        'ASHAPP_ACME_EMAIL=ops@example.com',
        'ASHAPP_SIGN_IN_ALLOWED_ACCOUNTS=123456789012',
        'ASHAPP_IN_CLUSTER_DATABASES=true',
        'K3S_VERSION=v1.32.3+k3s1',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'driver.sh'), driver);
    const env = {
      ...process.env,
      BOOTSTRAP: bootstrap,
      CONFIG: config,
      ASHAPP_STATE_DIR: path.join(dir, 'state'),
      ASHAPP_SRC_DIR: root,
    };
    // Twice: the second run must change nothing.
    for (let i = 0; i < 2; i++)
      outputs.push((await run('bash', [path.join(dir, 'driver.sh')], { env })).stdout);
    objects = await renderKustomization(path.join(dir, 'state/site'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a second run rewrites nothing and keeps the generated secrets', async () => {
    assert.equal(outputs[0]?.trim(), 'changed=true');
    assert.equal(outputs[1]?.trim(), 'changed=false');
    const internal = await readFile(path.join(dir, 'state/secrets/internal.env'), 'utf8');
    assert.match(internal, /^INTERNAL_AUTH_SECRET=[0-9a-f]{64}\n$/);
  });

  test('renders valid manifests that follow the platform rules, with the host’s images, allow-list, host name and TLS issuer', () => {
    // The observability component adds prometheus-operator objects: not Kubernetes kinds, so the Kubernetes
    // schemas do not cover them (packages/platform's metrics-kubernetes test checks them); everything else must
    // validate strictly.
    const operator = objects.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1');
    assert.deepEqual(operator.map((o) => o.kind).sort(), ['PrometheusRule', 'ServiceMonitor']);
    const kubernetes = objects.filter((o) => o.apiVersion !== 'monitoring.coreos.com/v1');
    assert.deepEqual(createManifestValidator().validate(kubernetes), []);
    assert.deepEqual(checkPlatformRules(kubernetes, { profile: 'production', secrets: 'generated' }), []);
    const images = new Set(
      objects
        .filter(
          (o) => o.kind === 'Deployment' && o.metadata.namespace === 'ashapp' && o.metadata.name !== 'redis',
        )
        .map(
          (o) =>
            (o.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
              .containers[0]?.image,
        ),
    );
    assert.deepEqual(
      [...images].sort(),
      ['gateway', 'assistant', 'deployer', 'history', 'monitor']
        .map((s) => `ghcr.io/acme/ashapp-${s}:1.2.3`)
        .sort(),
    );
    const config = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ashapp-config-'),
    );
    assert.equal((config?.data as Record<string, string>).SIGN_IN_ALLOWED_ACCOUNTS, '123456789012');
    const ingress = objects.find((o) => o.kind === 'Ingress')!;
    assert.equal(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer'], 'letsencrypt');
    assert.deepEqual((ingress.spec as { tls: Array<{ hosts: string[] }> }).tls[0]?.hosts, [
      'ashapp.example.com',
    ]);
    assert.ok(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mariadb'));
    const internal = objects.find(
      (o) => o.kind === 'Secret' && o.metadata.name.startsWith('ashapp-internal-'),
    );
    const value = Buffer.from(
      (internal?.data as Record<string, string>).INTERNAL_AUTH_SECRET ?? '',
      'base64',
    ).toString();
    assert.match(value, /^[0-9a-f]{64}$/);
  });
});
