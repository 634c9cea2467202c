import { chmod, mkdir, rm } from 'node:fs/promises';
import { runCommand } from '../process/run-command.ts';

/** A build's own filesystem: a sparse ext4 image of the build's disk limit, loop-mounted as its workspace. */
export interface BuildDisk {
  readonly dir: string;
  /** Unmounts and deletes the image (also when the build left files or a process behind). */
  remove(): Promise<void>;
}

const mebibyte = 1024 * 1024;

/**
 * Why a sized filesystem and not a watched quota (issue 8): the kernel refuses the write that would pass
 * the limit (ENOSPC), at once, whatever wrote it (a RUN step, buildah committing a layer, an export), and
 * what a build wrote is gone with one unmount. A watcher polling `du` lets a fast writer run past the limit
 * between two looks, and cannot tell one build's layers from another's in a shared store. tmpfs with
 * `size=` was rejected because its pages are charged to the writer's memory cgroup: a build would hit its
 * memory limit (and an OOM kill) long before its disk limit. The image file is sparse, so an idle limit
 * costs nothing; ext4 without a journal or reserved blocks, since the folder only lives for one build.
 */
export async function mountBuildDisk(options: {
  image: string;
  dir: string;
  bytes: number;
  uid: number;
  gid: number;
  env: Readonly<Record<string, string>>;
}): Promise<BuildDisk> {
  const { image, dir, env } = options;
  const run = async (command: string, args: string[]) => {
    const result = await runCommand({ command, args, env, timeoutMs: 60_000 });
    if (result.code !== 0)
      throw new Error(
        `${command} failed while preparing the build's disk: ${result.stderr.trim() || `exit ${result.code}`}`,
      );
  };
  await mkdir(dir, { mode: 0o700 });
  let mounted = false;
  const remove = async () => {
    if (mounted) {
      // Lazy: a process of a killed build may still hold a file open for a moment; the space is freed
      // when it closes, and the loop device is released with the mount.
      await run('umount', ['--lazy', dir]);
      mounted = false;
    }
    await rm(dir, { recursive: true, force: true });
    await rm(image, { force: true });
  };
  try {
    await run('truncate', ['--size', `${Math.max(16, Math.ceil(options.bytes / mebibyte))}M`, image]);
    await run('mkfs.ext4', [
      '-q',
      '-F',
      '-O',
      '^has_journal',
      '-m',
      '0',
      '-E',
      `root_owner=${options.uid}:${options.gid},lazy_itable_init=1`,
      image,
    ]);
    await run('mount', ['-o', 'loop,nodev', image, dir]);
    mounted = true;
    // mkfs leaves lost+found; the build user owns the root (root_owner above) and nobody else may enter.
    await rm(`${dir}/lost+found`, { recursive: true, force: true });
    await chmod(dir, 0o700);
    return { dir, remove };
  } catch (err) {
    await remove().catch(() => undefined);
    throw err;
  }
}

/** Whether a tool's output says the build's filesystem is full. */
export function isDiskFull(output: string): boolean {
  return /no space left on device|ENOSPC|disk quota exceeded/i.test(output);
}
