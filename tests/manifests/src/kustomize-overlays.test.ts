import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createManifestValidator } from '@ashapp/kube-schemas';
import { checkPlatformRules, platformServices } from './platform-rules.ts';
import {
  kubernetesDir,
  renderKustomization,
  renderWithComponents,
  type KubeObject,
} from './render-kustomize.ts';

const validator = createManifestValidator();

function secretValue(objects: readonly KubeObject[], name: string, key: string): string | undefined {
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`${name}-`));
  const data = secret?.data as Record<string, string> | undefined;
  return data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
}

describe('kustomize overlays render valid manifests that follow the platform rules', () => {
  const rendered = new Map<string, KubeObject[]>();

  before(async () => {
    rendered.set('local', await renderKustomization(path.join(kubernetesDir, 'overlays/local')));
    rendered.set('production', await renderKustomization(path.join(kubernetesDir, 'overlays/production')));
    rendered.set(
      'production+in-cluster-databases',
      await renderWithComponents('overlays/production', ['components/in-cluster-databases']),
    );
  });

  for (const [name, profile] of [
    ['local', 'local'],
    ['production', 'production'],
    ['production+in-cluster-databases', 'production'],
  ] as const) {
    test(`${name}: every object is valid against the Kubernetes OpenAPI schemas, strictly`, () => {
      const objects = rendered.get(name) ?? [];
      assert.ok(objects.length > 40, `rendered only ${objects.length} objects`);
      assert.deepEqual(validator.validate(objects), []);
    });

    test(`${name}: probes, requests and limits, restricted security contexts, pinned images, policies, PDBs, HPAs, namespaced RBAC`, () => {
      assert.deepEqual(checkPlatformRules(rendered.get(name) ?? [], { profile }), []);
    });
  }

  test('every overlay runs builds as Jobs in ashapp-builds with the deployer’s own image, a Role there only, and egress-only policies', () => {
    for (const [name, objects] of rendered) {
      const config = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ashapp-config-'),
      );
      const data = config?.data as Record<string, string>;
      const deployer = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'deployer');
      const image = (deployer?.spec as { template: { spec: { containers: Array<{ image: string }> } } })
        .template.spec.containers[0]!.image;
      assert.equal(data.DEPLOYER_BUILDER, 'kubernetes-job', name);
      assert.equal(data.DEPLOYER_BUILD_JOB_NAMESPACE, 'ashapp-builds', name);
      assert.equal(data.DEPLOYER_BUILD_JOB_IMAGE, image, `${name}: the builder image is the deployer's own`);
      const namespace = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === 'ashapp-builds');
      assert.equal(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'baseline', name);
      const role = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === 'ashapp-builds');
      assert.deepEqual(role?.rules, [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete'] },
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
      ]);
      const binding = objects.find(
        (o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'ashapp-builds',
      );
      assert.deepEqual(binding?.subjects, [
        { kind: 'ServiceAccount', name: 'deployer', namespace: 'ashapp' },
      ]);
      assert.equal((binding?.roleRef as { kind: string }).kind, 'Role');
      // Nothing else of the platform runs there, and no platform pod is at "baseline".
      assert.ok(!objects.some((o) => o.metadata.namespace === 'ashapp-builds' && o.kind === 'Deployment'));
    }
  });

  test('a digest pinned in the production overlay (what CI’s `kustomize edit set image` writes) reaches the build Jobs too', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ashapp-kustomize-pin-'));
    try {
      await cp(kubernetesDir, path.join(dir, 'kubernetes'), { recursive: true });
      const overlay = path.join(dir, 'kubernetes', 'overlays', 'production');
      const pinned = `ghcr.io/acme/ashapp-deployer@sha256:${'1'.repeat(64)}`;
      const kustomization = await readFile(path.join(overlay, 'kustomization.yaml'), 'utf8');
      await writeFile(
        path.join(overlay, 'kustomization.yaml'),
        `${kustomization}images:\n  - name: ghcr.io/ashapp/ashapp-deployer\n    newName: ghcr.io/acme/ashapp-deployer\n    digest: sha256:${'1'.repeat(64)}\n`,
      );
      const objects = await renderKustomization(overlay);
      const config = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ashapp-config-'),
      );
      assert.equal((config?.data as Record<string, string>).DEPLOYER_BUILD_JOB_IMAGE, pinned);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('every overlay runs each service as the uid:gid its image declares (USER in deploy/images/Containerfile)', async () => {
    const containerfile = await readFile(path.join(kubernetesDir, '..', 'images', 'Containerfile'), 'utf8');
    const imageUser = new Map<string, string>();
    let stage = '';
    for (const line of containerfile.split('\n')) {
      const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
      if (from) stage = from[1]!;
      const user = /^USER\s+(\S+)/.exec(line);
      if (user) imageUser.set(stage, user[1]!);
    }
    for (const [name, objects] of rendered) {
      for (const service of platformServices) {
        const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === service);
        const podSc = (
          deployment?.spec as { template: { spec: { securityContext: Record<string, unknown> } } }
        ).template.spec.securityContext;
        const want = imageUser.get(service);
        assert.ok(
          want && /^\d+:\d+$/.test(want),
          `${service}: the image's USER is numeric uid:gid (${want})`,
        );
        const [uid, gid] = want.split(':').map(Number);
        assert.deepEqual(
          [podSc.runAsUser, podSc.runAsGroup, podSc.fsGroup],
          [uid, gid, gid],
          `${name} ${service}: runAsUser, runAsGroup, fsGroup match the image's USER ${want}`,
        );
      }
    }
  });

  test('local needs nothing outside the cluster: SQLite on a PersistentVolumeClaim per service, no database or Redis URL', () => {
    const objects = rendered.get('local') ?? [];
    for (const service of platformServices) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === service);
      const volumes = (
        deployment?.spec as {
          template: {
            spec: { volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> };
          };
        }
      ).template.spec.volumes;
      assert.equal(
        volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName,
        `${service}-data`,
      );
      assert.ok(
        objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === `${service}-data`),
      );
      assert.equal(
        secretValue(objects, `${service}-secrets`, `${service.toUpperCase()}_DATABASE_URL`),
        `file:/data/${service}.sqlite`,
      );
    }
    assert.equal(secretValue(objects, 'gateway-secrets', 'REDIS_URL'), undefined);
  });

  test('production takes every database URL and Redis from Secrets the operator fills', () => {
    const objects = rendered.get('production') ?? [];
    for (const service of platformServices) {
      assert.match(
        secretValue(objects, `${service}-secrets`, `${service.toUpperCase()}_DATABASE_URL`) ?? '',
        /^REPLACE/,
      );
    }
    assert.match(secretValue(objects, 'gateway-secrets', 'REDIS_URL') ?? '', /^REPLACE/);
  });

  test('the in-cluster databases component adds MariaDB as a StatefulSet and Redis, and points every service at them', () => {
    const objects = rendered.get('production+in-cluster-databases') ?? [];
    assert.ok(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mariadb'));
    assert.ok(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'redis'));
    for (const service of platformServices) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === service);
      const env =
        (
          deployment?.spec as {
            template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } };
          }
        ).template.spec.containers[0]?.env ?? [];
      assert.equal(
        env.find((e) => e.name === `${service.toUpperCase()}_DATABASE_URL`)?.value,
        `mysql://ashapp:$(MARIADB_PASSWORD)@mariadb:3306/ashapp_${service}`,
      );
    }
  });

  test('the shell snippets the database containers run pass shellcheck (POSIX sh, as in the images)', async () => {
    const objects = rendered.get('production+in-cluster-databases') ?? [];
    const scripts = objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .flatMap(
        (o) =>
          (
            o.spec as {
              template: {
                spec: { containers: Array<{ name: string; command?: string[]; args?: string[] }> };
              };
            }
          ).template.spec.containers,
      )
      .filter((c) => c.command?.join(' ') === 'sh -c')
      .map((c) => [c.name, c.args?.[0] ?? ''] as const);
    assert.deepEqual(scripts.map(([name]) => name).sort(), ['mariadb', 'redis']);
    const dir = await mkdtemp(path.join(tmpdir(), 'ashapp-container-sh-'));
    try {
      const files: string[] = [];
      for (const [name, script] of scripts) {
        const file = path.join(dir, `${name}.sh`);
        await writeFile(file, `#!/bin/sh\n${script}\n`);
        files.push(file);
      }
      const { stdout } = await promisify(execFile)('shellcheck', ['--format=gcc', ...files]).catch(
        (err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }),
      );
      assert.equal(stdout, '');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the platform rules catch what they promise to catch', () => {
  let objects: KubeObject[] = [];
  before(async () => {
    objects = await renderKustomization(path.join(kubernetesDir, 'overlays/production'));
  });

  function gatewayContainer(copy: KubeObject[]): Record<string, unknown> {
    const deployment = copy.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway');
    return (deployment?.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template.spec.containers[0]!;
  }

  test('reports a writable root filesystem, a missing probe, a :latest image and a missing limit', () => {
    const copy = structuredClone(objects);
    const container = gatewayContainer(copy);
    (container.securityContext as Record<string, unknown>).readOnlyRootFilesystem = false;
    delete container.readinessProbe;
    container.image = 'ghcr.io/ashapp/ashapp-gateway:latest';
    delete (container.resources as { limits: Record<string, unknown> }).limits.memory;
    const problems = checkPlatformRules(copy, { profile: 'production' });
    assert.deepEqual(problems.filter((p) => p.startsWith('Deployment/ashapp/gateway')).sort(), [
      'Deployment/ashapp/gateway container gateway: image ghcr.io/ashapp/ashapp-gateway:latest uses :latest',
      'Deployment/ashapp/gateway container gateway: no limits.memory',
      'Deployment/ashapp/gateway container gateway: no readinessProbe',
      'Deployment/ashapp/gateway container gateway: readOnlyRootFilesystem is not true',
      'Deployment/ashapp/gateway container gateway: readinessProbe is not GET /ready',
    ]);
  });

  test('reports cluster-wide RBAC, wildcard rules, a missing default deny and a real-looking secret', () => {
    const copy = structuredClone(objects).filter(
      (o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny'),
    );
    copy.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'deployer-admin' },
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
    });
    const role = copy.find((o) => o.kind === 'Role')!;
    (role.rules as Array<{ verbs: string[] }>)[0]!.verbs = ['*'];
    const namespaces = copy.find((o) => o.kind === 'ClusterRole')!;
    (namespaces.rules as Array<{ verbs: string[] }>)[0]!.verbs = ['get', 'list'];
    const internal = copy.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('ashapp-internal-'))!;
    internal.data = {
      INTERNAL_AUTH_SECRET: Buffer.from('a-real-looking-secret-of-enough-length').toString('base64'),
    };
    const problems = checkPlatformRules(copy, { profile: 'production' });
    assert.ok(
      problems.includes(
        'ClusterRoleBinding//deployer-admin: binds a ClusterRole that is not part of these manifests (cluster-wide RBAC)',
      ),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes(
        'ClusterRole//ashapp-deployer-namespaces: cluster-wide RBAC is not allowed (only get on named namespaces)',
      ),
      problems.join('\n'),
    );
    assert.ok(problems.includes('Role/ashapp-apps/ashapp-deployer: verbs contains *'), problems.join('\n'));
    assert.ok(
      problems.includes('namespace ashapp: no default-deny NetworkPolicy (ingress and egress)'),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /^Secret\/ashapp-internal-.*: INTERNAL_AUTH_SECRET is not a placeholder$/.test(p)),
      problems.join('\n'),
    );
  });

  test('reports Secrets granted outside the builds namespace or read in it, a second baseline namespace, and builds that may reach private addresses or pods', () => {
    const copy = structuredClone(objects);
    const appsRole = copy.find((o) => o.kind === 'Role' && o.metadata.namespace === 'ashapp-apps')!;
    (appsRole.rules as unknown[]).push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] });
    const buildsRole = copy.find((o) => o.kind === 'Role' && o.metadata.namespace === 'ashapp-builds')!;
    (buildsRole.rules as Array<{ resources: string[]; verbs: string[] }>)
      .find((r) => r.resources.includes('secrets'))!
      .verbs.push('get');
    const platform = copy.find((o) => o.kind === 'Namespace' && o.metadata.name === 'ashapp')!;
    platform.metadata.labels!['pod-security.kubernetes.io/enforce'] = 'baseline';
    const egress = copy.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'builds-to-public-internet',
    )!;
    const v4 = (egress.spec as { egress: Array<{ to: Array<{ ipBlock: { except: string[] } }> }> }).egress[0]!
      .to[0]!.ipBlock;
    v4.except = v4.except.filter((r) => r !== '169.254.0.0/16');
    (egress.spec as { egress: Array<{ to: unknown[] }> }).egress[0]!.to.push({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ashapp' } },
    });
    const problems = checkPlatformRules(copy, { profile: 'production' });
    for (const wanted of [
      'Role/ashapp-apps/ashapp-deployer: grants secrets outside the builds namespace',
      'Role/ashapp-builds/ashapp-deployer-builds: grants create, delete, get on secrets (only create and delete: never read one back)',
      'Namespace/ashapp: Pod Security enforce is baseline, not restricted',
      'NetworkPolicy/ashapp-builds/builds-to-public-internet: 0.0.0.0/0 does not except 169.254.0.0/16',
      'NetworkPolicy/ashapp-builds/builds-to-public-internet: build pods may reach pods (only DNS allowed)',
    ])
      assert.ok(problems.includes(wanted), `${wanted}\n--- got:\n${problems.join('\n')}`);
    const withoutQuota = copy.filter(
      (o) => !(o.kind === 'ResourceQuota' && o.metadata.namespace === 'ashapp-builds'),
    );
    assert.ok(
      checkPlatformRules(withoutQuota, { profile: 'production' }).includes(
        'namespace ashapp-builds: no ResourceQuota for builds',
      ),
    );
  });

  test('holds the local profile to one replica without autoscaling', () => {
    assert.ok(
      checkPlatformRules(objects, { profile: 'local' }).includes(
        'Deployment/gateway: local runs one replica',
      ),
    );
  });
});
