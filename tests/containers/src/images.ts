import { writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseRecipes, ensureBaseImage, run, type Tools } from './base-images.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const serviceNames = ['monitor', 'history', 'assistant', 'deployer', 'gateway'] as const;
export type ServiceName = (typeof serviceNames)[number];

/**
 * The test's container store: its own graph root (kept between runs so layers and bases are reused, the
 * machine's default store untouched), the project's containers.conf (runc, no default ulimits).
 * `ASHAPP_CONTAINERS_TEST_CACHE` moves it (default /var/tmp/ashapp-containers-test).
 */
export async function prepareTools(): Promise<Tools & { storage: { root: string; runroot: string } }> {
  const cacheDir = process.env.ASHAPP_CONTAINERS_TEST_CACHE ?? '/var/tmp/ashapp-containers-test';
  const storage = { root: path.join(cacheDir, 'storage'), runroot: path.join(cacheDir, 'run') };
  mkdirSync(cacheDir, { recursive: true });
  const storageConf = path.join(cacheDir, 'storage.conf');
  await writeFile(
    storageConf,
    `[storage]\ndriver = "overlay"\ngraphroot = "${storage.root}"\nrunroot = "${storage.runroot}"\n`,
  );
  return {
    cacheDir: path.join(cacheDir, 'cache'),
    storage,
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env.HOME ?? '/root',
      CONTAINERS_CONF: path.join(repoRoot, 'deploy', 'podman', 'containers.conf'),
      CONTAINERS_STORAGE_CONF: storageConf,
    },
  };
}

export interface BuiltImages<S extends ServiceName = ServiceName> {
  images: Record<S, string>;
  /** Image sizes in bytes, as podman reports them. */
  sizes: Record<S, number>;
  seconds: number;
}

/** The bases each target is built on (build args of the Containerfile); the others are not assembled. */
const basesOf: Record<ServiceName, readonly (keyof typeof baseRecipes)[]> = {
  gateway: ['node', 'build'],
  assistant: ['node', 'build', 'assistant'],
  deployer: ['node', 'build', 'deployer'],
  history: ['node', 'build'],
  monitor: ['node', 'build'],
};
const baseArg = {
  node: 'NODE_IMAGE',
  build: 'BUILD_IMAGE',
  assistant: 'ASSISTANT_BASE',
  deployer: 'DEPLOYER_BASE',
};

/**
 * Builds the targets of deploy/images/Containerfile (every one unless `only` names some) with
 * `buildah bud --isolation chroot --pull-never` on locally assembled bases, assembling only the bases those
 * targets use. `--layers` reuses the layers of an earlier run while their inputs are the same, so a second
 * run rebuilds only what changed.
 */
export async function buildImages<S extends ServiceName = ServiceName>(
  tools: Tools,
  tag: string,
  only?: readonly S[],
): Promise<BuiltImages<S>> {
  const started = Date.now();
  const targets = (only ?? serviceNames) as readonly S[];
  const bases: Record<string, string> = {};
  for (const recipe of ['node', 'build', 'assistant', 'deployer'] as const) {
    if (targets.some((t) => basesOf[t].includes(recipe)))
      bases[baseArg[recipe]] = await ensureBaseImage(baseRecipes[recipe], tools);
  }
  const images = {} as Record<S, string>;
  const sizes = {} as Record<S, number>;
  for (const service of targets) {
    const image = `localhost/ashapp-${service}:${tag}`;
    await run(
      'buildah',
      [
        'bud',
        '--isolation',
        'chroot',
        '--pull-never',
        '--layers',
        '--format',
        'docker',
        '--target',
        service,
        ...Object.entries(bases).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
        '--build-arg',
        `VERSION=${tag}`,
        '--build-arg',
        'REVISION=test',
        // buildah 1.28 reuses a cached LABEL step whatever the build args say: the labels that change per
        // build are also given on the command line (applied unless the whole image comes from the cache).
        '--label',
        `org.opencontainers.image.version=${tag}`,
        '--label',
        'org.opencontainers.image.revision=test',
        '-t',
        image,
        '-f',
        'deploy/images/Containerfile',
        '.',
      ],
      { env: tools.env, cwd: repoRoot, timeoutMs: 20 * 60_000 },
    );
    images[service] = image;
    sizes[service] = Number(
      (await run('podman', ['image', 'inspect', '--format', '{{.Size}}', image], { env: tools.env })).trim(),
    );
  }
  return { images, sizes, seconds: Math.round((Date.now() - started) / 1000) };
}

export interface ImageConfig {
  User: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  Labels: Record<string, string>;
  Healthcheck?: { Test: string[] };
}

export async function inspectImage(tools: Tools, image: string): Promise<ImageConfig> {
  // podman keeps the HEALTHCHECK beside the config, not in it.
  const out = await run('podman', ['image', 'inspect', image], { env: tools.env });
  const [first] = JSON.parse(out) as { Config: ImageConfig; Healthcheck?: { Test: string[] } }[];
  return { ...first!.Config, ...(first!.Healthcheck ? { Healthcheck: first!.Healthcheck } : {}) };
}
