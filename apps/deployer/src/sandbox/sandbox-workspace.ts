import { randomBytes } from 'node:crypto';
import { chown, cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../process/run-command.ts';
import { mountBuildDisk } from './build-disk.ts';
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
  const id = randomBytes(8).toString('hex');
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
