import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, summarizeOutput, type CommandResult } from '../src/process/run-command.ts';
import { readStorageArgs, type ContainerStorage } from '../src/build/buildah-builder.ts';
import { withTemporaryAuthFile } from '../src/registry/auth-file.ts';

/**
 * Builds a small Python + Flask + gunicorn base image from Debian packages, without pulling any image:
 * the packages' dependency closure is downloaded with apt into a cache kept across runs, unpacked with
 * dpkg-deb and imported with buildah. ~50 MB, a few seconds with a warm cache.
 */

const defaultPackages = ['python3-minimal', 'python3-flask', 'python3-gunicorn', 'dash'];
/** Not needed at run time, and perl alone is bigger than everything else together. */
const dropped = new Set([
  'dpkg',
  'perl',
  'perl-base',
  'perl-modules-5.36',
  'libperl5.36',
  'tar',
  'install-info',
  'libjs-jquery',
  'debianutils',
  'mailcap',
  'mime-support',
  'readline-common',
  'libgdbm-compat4',
]);
/** Bump when the way the image is assembled changes, so cached images are rebuilt. */
const recipeVersion = '1';

export const testBaseImageName = 'localhost/ashapp-test-pybase';

async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<CommandResult> {
  const result = await runCommand({
    command,
    args,
    env,
    cwd,
    timeoutMs: 5 * 60_000,
    maxOutputBytes: 4 * 1024 * 1024,
  });
  if (result.code !== 0)
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} failed: ${summarizeOutput(result)}`);
  return result;
}

async function resolvePackages(env: Record<string, string>, wanted: readonly string[]): Promise<string[]> {
  const result = await run(
    'apt-cache',
    [
      'depends',
      '--recurse',
      '--no-recommends',
      '--no-suggests',
      '--no-conflicts',
      '--no-breaks',
      '--no-replaces',
      '--no-enhances',
      ...wanted,
    ],
    env,
  );
  const names = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    // Top-level lines are package names; indented lines are relations; <virtual> names have no .deb.
    if (!line || line.startsWith(' ') || line.startsWith('<')) continue;
    const name = line.trim();
    if (!dropped.has(name)) names.add(name);
  }
  return [...names].sort();
}

async function downloadPackages(
  names: string[],
  cacheDir: string,
  env: Record<string, string>,
): Promise<string[]> {
  await mkdir(cacheDir, { recursive: true });
  const present = await readdir(cacheDir);
  const missing = names.filter((n) => !present.some((f) => f.startsWith(`${n}_`) && f.endsWith('.deb')));
  if (missing.length > 0) await run('apt-get', ['download', ...missing], env, cacheDir);
  const files = (await readdir(cacheDir)).filter((f) => f.endsWith('.deb'));
  // Keep the newest file per package, in case an older version is still in the cache.
  const byName = new Map<string, string>();
  for (const file of files.sort()) byName.set(file.split('_')[0] ?? file, file);
  return names
    .map((n) => byName.get(n))
    .filter((f): f is string => f !== undefined)
    .map((f) => join(cacheDir, f));
}

export interface TestBaseImage {
  /** In local storage, for builds with `--pull=never`. */
  localImage: string;
  /** The same image pushed to the registry (when one was given). */
  registryImage: string | undefined;
  built: boolean;
}

export async function ensureTestBaseImage(options: {
  env: Record<string, string>;
  storage: ContainerStorage;
  registry?: { host: string; username: string; password: string };
  cacheDir?: string;
  /** Debian packages whose dependency closure makes the image (default: Python, Flask, gunicorn, dash). */
  packages?: readonly string[];
}): Promise<TestBaseImage> {
  const { env, storage } = options;
  const storageArgs = readStorageArgs(storage);
  const cacheDir = options.cacheDir ?? join(tmpdir(), 'ashapp-test-debs');
  const packages = await resolvePackages(env, options.packages ?? defaultPackages);
  const debs = await downloadPackages(packages, cacheDir, env);
  if (debs.length !== packages.length) throw new Error('some packages could not be downloaded');
  const tag = createHash('sha256')
    .update(recipeVersion)
    .update(debs.map((d) => d.split('/').pop()).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const localImage = `${testBaseImageName}:${tag}`;

  const exists = await runCommand({
    command: 'buildah',
    args: [...storageArgs, 'inspect', '--type', 'image', localImage],
    env,
    timeoutMs: 60_000,
  });
  let built = false;
  if (exists.code !== 0) {
    const work = await mkdtemp(join(tmpdir(), 'ashapp-base-'));
    try {
      const rootfs = join(work, 'rootfs');
      await mkdir(rootfs);
      for (const deb of debs) await run('dpkg-deb', ['-x', deb, rootfs], env);
      await mkdir(join(rootfs, 'tmp'), { recursive: true });
      await chmod(join(rootfs, 'tmp'), 0o1777);
      await mkdir(join(rootfs, 'etc'), { recursive: true });
      await writeFile(
        join(rootfs, 'etc/passwd'),
        'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/app:/usr/sbin/nologin\n',
      );
      await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:10001:\n');
      const tarball = join(work, 'rootfs.tar');
      await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarball, '.'], env);
      const container = (await run('buildah', [...storageArgs, 'from', 'scratch'], env)).stdout.trim();
      try {
        await run('buildah', [...storageArgs, 'add', container, tarball, '/'], env);
        await run(
          'buildah',
          [
            ...storageArgs,
            'config',
            '--env',
            'PYTHONDONTWRITEBYTECODE=1',
            '--env',
            'LANG=C.UTF-8',
            '--env',
            'PATH=/usr/local/bin:/usr/bin:/bin',
            container,
          ],
          env,
        );
        await run('buildah', [...storageArgs, 'commit', '-q', container, localImage], env);
      } finally {
        await runCommand({
          command: 'buildah',
          args: [...storageArgs, 'rm', container],
          env,
          timeoutMs: 60_000,
        });
      }
      built = true;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  let registryImage: string | undefined;
  if (options.registry) {
    const registry = options.registry;
    registryImage = `${registry.host}/ashapp-test-pybase:${tag}`;
    await withTemporaryAuthFile([{ registry: registry.host, credentials: registry }], async (auth) => {
      await run(
        'buildah',
        [
          ...storageArgs,
          'push',
          '--tls-verify=false',
          '--authfile',
          auth.path,
          localImage,
          `docker://${registryImage}`,
        ],
        env,
      );
    });
  }
  return { localImage, registryImage, built };
}
