import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { serviceEnvironment, serviceNames, serviceNodeOptions } from '../../../scripts/build-plan.ts';
import { kubernetesDir, renderKustomization, type KubeObject } from './render-kustomize.ts';

/**
 * The V8 heap settings of ADR 0028 apply wherever a service runs built: `npm start` and the benchmarks pass
 * `serviceNodeOptions` themselves; the images set them as NODE_OPTIONS, which the Kubernetes Deployments
 * and compose.yaml inherit unless they set NODE_OPTIONS themselves.
 */
const expected = serviceNodeOptions.join(' ');
const deployDir = path.join(kubernetesDir, '..');

/** The value of every `<name>=` in the ENV instructions of each stage, by stage name. */
function readImageEnv(containerfile: string, name: string): Map<string, string[]> {
  const byStage = new Map<string, string[]>();
  let stage = '';
  const assignment = new RegExp(`(?:^|\\s)${name}=(?:"([^"]*)"|(\\S+))`, 'g');
  // ENV instructions continue over lines ending in a backslash.
  for (const line of containerfile.replace(/\\\n/g, ' ').split('\n')) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
    if (from) stage = from[1]!;
    if (!/^ENV\s/i.test(line)) continue;
    for (const m of line.matchAll(assignment))
      byStage.set(stage, [...(byStage.get(stage) ?? []), m[1] ?? m[2] ?? '']);
  }
  return byStage;
}

interface ContainerSpec {
  name: string;
  env?: { name: string; value?: string }[];
}

function containersOf(object: KubeObject): ContainerSpec[] {
  const spec = (object.spec as { template?: { spec?: { containers?: ContainerSpec[] } } } | undefined)
    ?.template?.spec;
  return spec?.containers ?? [];
}

describe('Node heap settings (ADR 0028) and the allocator setting (ADR 0032) reach every place a built service runs', () => {
  let containerfile = '';
  before(async () => {
    containerfile = await readFile(path.join(deployDir, 'images', 'Containerfile'), 'utf8');
  });

  test('the serviceNodeOptions are flags NODE_OPTIONS accepts', () => {
    assert.ok(serviceNodeOptions.length > 0);
    for (const flag of serviceNodeOptions)
      assert.match(flag, /^--(max-semi-space-size|max-old-space-size)=\d+$/, flag);
  });

  test("every service image sets NODE_OPTIONS to scripts/build-plan.ts's serviceNodeOptions", () => {
    const byStage = readImageEnv(containerfile, 'NODE_OPTIONS');
    for (const service of serviceNames)
      assert.deepEqual(byStage.get(service), [expected], `${service} image NODE_OPTIONS`);
  });

  test("every service image sets scripts/build-plan.ts's serviceEnvironment (ADR 0032)", () => {
    assert.deepEqual(Object.keys(serviceEnvironment), ['MALLOC_ARENA_MAX']);
    for (const [name, value] of Object.entries(serviceEnvironment)) {
      const byStage = readImageEnv(containerfile, name);
      for (const service of serviceNames)
        assert.deepEqual(byStage.get(service), [value], `${service} image ${name}`);
    }
  });

  for (const overlay of ['local', 'production']) {
    test(`${overlay} overlay: no Deployment replaces the image's NODE_OPTIONS with other flags`, async () => {
      const objects = await renderKustomization(path.join(kubernetesDir, 'overlays', overlay));
      const deployments = objects.filter((o) => o.kind === 'Deployment');
      assert.ok(deployments.length >= serviceNames.length, `${deployments.length} Deployments`);
      for (const deployment of deployments) {
        for (const container of containersOf(deployment)) {
          const own = container.env?.find((e) => e.name === 'NODE_OPTIONS');
          if (own) assert.equal(own.value, expected, `${deployment.metadata.name}/${container.name}`);
          for (const [name, value] of Object.entries(serviceEnvironment)) {
            const set = container.env?.find((e) => e.name === name);
            if (set) assert.equal(set.value, value, `${deployment.metadata.name}/${container.name} ${name}`);
          }
        }
      }
    });
  }

  test("compose.yaml leaves the image's NODE_OPTIONS in place", async () => {
    const compose = parse(await readFile(path.join(deployDir, 'compose', 'compose.yaml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, { environment?: Record<string, string> | string[] }> };
    for (const [name, service] of Object.entries(compose.services)) {
      const env = service.environment;
      const value = Array.isArray(env)
        ? env.find((e) => e.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length)
        : env?.NODE_OPTIONS;
      if (value !== undefined) assert.equal(value, expected, `compose service ${name}`);
      for (const [variable, wanted] of Object.entries(serviceEnvironment)) {
        const set = Array.isArray(env)
          ? env.find((e) => e.startsWith(`${variable}=`))?.slice(variable.length + 1)
          : env?.[variable];
        if (set !== undefined) assert.equal(set, wanted, `compose service ${name} ${variable}`);
      }
    }
  });
});
