import { randomBytes } from 'node:crypto';
import { chown, cp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../process/run-command.ts';
import { mountBuildDisk } from './build-disk.ts';
import { isTagAlive, readOwnTag } from './cgroups.ts';
import type { SandboxDirs } from './sandbox-host.ts';
import type { SandboxLimits, SandboxUser, SandboxWorkspace } from './sandbox-types.ts';

/**
 * A folder for one build, owned by the build user: with a disk limit, its own loop-mounted filesystem of
 * that size holding everything the build writes (see build-disk.ts); else a plain folder.
 */
export async function createSandboxWorkspace(options: {
  user: SandboxUser;
  dirs: SandboxDirs;
  limits: SandboxLimits;
  sharedStorageArgs: readonly string[];
  env: Readonly<Record<string, string>>;
}): Promise<SandboxWorkspace> {
  const { dirs, limits, env } = options;
  const { uid, gid } = options.user;
  // Named after this deployer, so one starting after a SIGKILL can tell its leftovers from live builds.
  const id = `${readOwnTag()}-${randomBytes(8).toString('hex')}`;
  const dir = join(dirs.builds, id);
  const bounded = limits.maxDiskBytes > 0;
  const disk = bounded
    ? await mountBuildDisk({ image: `${dir}.img`, dir, bytes: limits.maxDiskBytes, uid, gid, env })
    : undefined;
  if (!disk) {
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, uid, gid);
  }
  const tmpDir = bounded ? join(dir, 'tmp') : dirs.tmp;
  if (bounded) {
    await mkdir(tmpDir, { mode: 0o700 });
    await chown(tmpDir, uid, gid);
  }
  const giveToUser = async (path: string) => {
    const result = await runCommand({
      command: 'chown',
      args: ['-R', '--no-dereference', `${uid}:${gid}`, '--', path],
      env,
      timeoutMs: 120_000,
    });
    if (result.code !== 0) throw new Error(`chown failed: ${result.stderr.trim()}`);
  };
  return {
    dir,
    tmpDir,
    diskLimitBytes: bounded ? limits.maxDiskBytes : undefined,
    // The build's own store, on its bounded disk, reads base images from the user's shared store
    // (read-only: nothing the build writes lands there), so a base is handed over once, not per build.
    storageArgs: bounded
      ? [
          '--root',
          join(dir, 'storage'),
          '--runroot',
          join(dir, 'runroot'),
          '--storage-driver',
          'overlay',
          '--storage-opt',
          `overlay.imagestore=${dirs.root}`,
        ]
      : options.sharedStorageArgs,
    giveToUser,
    async copyIn(source, name) {
      const target = join(dir, name);
      // Symlinks are copied as links, never followed: the context cannot pull host files in.
      await cp(source, target, { recursive: true, verbatimSymlinks: true });
      await giveToUser(target);
      return target;
    },
    remove: () => (disk ? disk.remove() : rm(dir, { recursive: true, force: true })),
  };
}

/**
 * Removes build workspaces (and unmounts their disks) that a SIGKILLed deployer left: its `finally` never
 * ran, so the loop device, the image file and the folder would stay forever. Only workspaces whose
 * deployer is gone are touched; unnamed (older) ones are left alone.
 */
export async function sweepStaleWorkspaces(
  dirs: SandboxDirs,
  env: Readonly<Record<string, string>>,
): Promise<string[]> {
  const names = await readdir(dirs.builds).catch(() => [] as string[]);
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  const removed: string[] = [];
  for (const name of names) {
    const owner = /^(\d+\.\d+)-[0-9a-f]+(?:\.img)?$/.exec(name)?.[1];
    if (owner === undefined || isTagAlive(owner)) continue;
    const path = join(dirs.builds, name);
    if (!name.endsWith('.img') && mounts.includes(` ${path} `)) {
      const result = await runCommand({ command: 'umount', args: ['--lazy', path], env, timeoutMs: 60_000 });
      if (result.code !== 0) throw new Error(`umount ${path} failed: ${result.stderr.trim()}`);
    }
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
