import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { runCommand } from '../process/run-command.ts';
import { mountBuildDisk } from './build-disk.ts';
import { checkCgroupSupport } from './cgroups.ts';
import type { BuildSandboxOptions, IdRange, SandboxStatus } from './sandbox-types.ts';

export const sandboxTools: ReadonlyArray<{ name: string; from: string }> = Object.freeze([
  { name: 'unshare', from: 'util-linux' },
  { name: 'nsenter', from: 'util-linux' },
  { name: 'prlimit', from: 'util-linux' },
  { name: 'ip', from: 'iproute2' },
  { name: 'nft', from: 'nftables' },
  { name: 'slirp4netns', from: 'slirp4netns' },
  { name: 'cgexec', from: 'cgroup-tools' },
  { name: 'setpriv', from: 'util-linux' },
  { name: 'newuidmap', from: 'uidmap' },
  { name: 'newgidmap', from: 'uidmap' },
  { name: 'mkfs.ext4', from: 'e2fsprogs' },
  { name: 'mount', from: 'mount' },
  { name: 'umount', from: 'mount' },
  { name: 'truncate', from: 'coreutils' },
]);

async function findTool(name: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // next directory
    }
  }
  return false;
}

async function readUserIds(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid && gid && /^\d+$/.test(uid) && /^\d+$/.test(gid))
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Parent folders the build user must be able to traverse to reach its storage. */
async function findUntraversable(dir: string, uid: number): Promise<string | undefined> {
  for (let current = dirname(dir); ; current = dirname(current)) {
    const info = await stat(current).catch(() => undefined);
    if (info && info.uid !== uid && (info.mode & 0o001) === 0) return current;
    if (current === dirname(current)) return undefined;
  }
}

async function readIdRange(file: string, user: string): Promise<IdRange | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, start, count] = line.trim().split(':');
    if (name === user && start && count && /^\d+$/.test(start) && /^\d+$/.test(count)) {
      return { start: Number(start), count: Number(count) };
    }
  }
  return undefined;
}

/** The build user's folders below the storage folder. */
export interface SandboxDirs {
  root: string;
  runroot: string;
  home: string;
  run: string;
  builds: string;
  tmp: string;
}

export function readSandboxDirs(storageDir: string): SandboxDirs {
  return {
    root: join(storageDir, 'storage'),
    runroot: join(storageDir, 'run', 'storage'),
    home: join(storageDir, 'home'),
    run: join(storageDir, 'run'),
    builds: join(storageDir, 'builds'),
    tmp: join(storageDir, 'tmp'),
  };
}

/**
 * What the host lacks for the sandbox (tools, the build user and its id ranges, cgroups, namespaces, loop
 * devices), or the user when nothing is missing; creates the user's folders then.
 */
export async function checkSandboxHost(
  options: Pick<BuildSandboxOptions, 'path' | 'user' | 'storageDir' | 'limits'>,
  dirs: SandboxDirs,
  env: Readonly<Record<string, string>>,
): Promise<SandboxStatus> {
  const { limits } = options;
  const problems: string[] = [];
  const missing = [];
  for (const tool of sandboxTools) if (!(await findTool(tool.name, options.path))) missing.push(tool);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => t.from))];
    problems.push(`missing ${missing.map((t) => t.name).join(', ')} (apt-get install ${packages.join(' ')})`);
  }
  const ids = await readUserIds(options.user);
  const uids = await readIdRange('/etc/subuid', options.user);
  const gids = await readIdRange('/etc/subgid', options.user);
  if (!ids || !uids || !gids || uids.count < 65536 || gids.count < 65536) {
    problems.push(
      `no system user "${options.user}" with subordinate id ranges of at least 65536 in /etc/subuid and /etc/subgid (run scripts/setup-build-sandbox.ts as root)`,
    );
  } else {
    const blocked = await findUntraversable(options.storageDir, ids.uid);
    if (blocked)
      problems.push(
        `the build user cannot reach ${options.storageDir}: ${blocked} is not traversable by others (chmod o+x, or set DEPLOYER_BUILD_STORAGE_DIR)`,
      );
  }
  const cgroupProblem = await checkCgroupSupport();
  if (cgroupProblem) problems.push(cgroupProblem);
  if (missing.every((t) => t.name !== 'unshare')) {
    const probe = await runCommand({
      command: 'unshare',
      args: ['--net', '--pid', '--fork', '--mount-proc', '--', 'true'],
      env,
      timeoutMs: 10_000,
    }).catch((err: Error) => ({ code: -1, stderr: err.message }));
    if (probe.code !== 0)
      problems.push(
        `cannot create network, PID and mount namespaces (${probe.stderr.trim() || `exit ${probe.code}`}): run the deployer as root`,
      );
  }
  if (problems.length === 0 && ids && limits.maxDiskBytes > 0) {
    await mkdir(dirs.builds, { recursive: true });
    // Loop devices are what a container host most often lacks: try one before claiming to be ready.
    const probe = await mountBuildDisk({
      image: join(dirs.builds, `probe-${randomBytes(4).toString('hex')}.img`),
      dir: join(dirs.builds, `probe-${randomBytes(4).toString('hex')}`),
      bytes: 16 * 1024 * 1024,
      ...ids,
      env,
    }).catch((err: Error) => err);
    if (probe instanceof Error)
      problems.push(
        `cannot give builds a size-limited disk (${probe.message}): the deployer needs loop devices (/dev/loop-control), or set DEPLOYER_BUILD_MAX_DISK_MB=0 to leave build disk use unbounded`,
      );
    else await probe.remove();
  }
  if (problems.length > 0 || !ids || !uids || !gids) return { ready: false, problems };
  // The user's own folders: storage, home and runtime dir as rootless buildah expects them (0700, its own).
  for (const dir of [
    options.storageDir,
    dirs.root,
    dirs.run,
    dirs.runroot,
    dirs.home,
    dirs.builds,
    dirs.tmp,
  ]) {
    await mkdir(dir, { recursive: true });
    await chown(dir, ids.uid, ids.gid);
    await chmod(dir, dir === options.storageDir ? 0o711 : 0o700);
  }
  return { ready: true, user: { ...ids, uids, gids } };
}
