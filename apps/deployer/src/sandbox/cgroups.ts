import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ResourceLimits {
  memoryBytes: number;
  /** CPU share as a number of CPUs (0.5 = half a core), enforced as a CFS quota. */
  cpus: number;
  /** Processes and threads together: stops fork bombs. */
  pids: number;
}

/** One cgroup per controller (cgroup v1), named the same under each controller's own path. */
export interface BuildCgroup {
  /** `cgexec -g …` arguments that start a command inside the group (before it can fork). */
  readonly cgexecArgs: readonly string[];
  /** Whether the memory limit was hit (an OOM kill happened in the group). */
  oomKilled(): Promise<boolean>;
  /**
   * Sends SIGKILL to every process in the group now (a timeout, an abort), synchronously so a timer can call
   * it; `remove` sweeps up anything forked meanwhile.
   */
  killNow(): void;
  /** Kills whatever is left in the group and removes it. */
  remove(): Promise<void>;
}

const controllers = ['memory', 'cpu', 'pids'] as const;
type Controller = (typeof controllers)[number];

/**
 * Paths of our own process in each cgroup v1 controller (from /proc/self/cgroup), so build groups are
 * created below the deployer's own group: inside a container that is the part of the tree it may manage.
 */
async function readOwnPaths(root: string): Promise<Record<Controller, string>> {
  const text = await readFile('/proc/self/cgroup', 'utf8');
  const paths: Partial<Record<Controller, string>> = {};
  for (const line of text.split('\n')) {
    const [, names, path] = line.split(':');
    if (!names || path === undefined) continue;
    for (const name of names.split(',')) {
      if ((controllers as readonly string[]).includes(name)) paths[name as Controller] = path;
    }
  }
  for (const controller of controllers) {
    if (paths[controller] === undefined)
      throw new Error(`cgroup v1 controller "${controller}" is not mounted under ${root}`);
  }
  return paths as Record<Controller, string>;
}

/** Checks that build groups can be created here; returns the problem, or undefined when they can. */
export async function checkCgroupSupport(root = '/sys/fs/cgroup'): Promise<string | undefined> {
  try {
    const own = await readOwnPaths(root);
    for (const controller of controllers) {
      await access(join(root, controller, own[controller]), constants.W_OK);
    }
    return undefined;
  } catch (err) {
    const unified = await access(join(root, 'cgroup.controllers')).then(
      () => true,
      () => false,
    );
    return unified
      ? 'cgroup v2 (unified) hierarchy: build limits are only implemented for cgroup v1'
      : `cgroup v1 memory/cpu/pids groups cannot be created (${(err as Error).message})`;
  }
}

const groupPrefix = 'ashapp-build-';

/**
 * `<pid>.<start time>` of a process: which deployer made a group. The start time (clock ticks since boot,
 * /proc/<pid>/stat field 22) tells a live owner from a new process that reused its pid.
 */
function readProcessTag(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[19];
    return startTime ? `${pid}.${startTime}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A new build group's name: `ashapp-build-<deployer pid>.<its start time>-<random>`, so a deployer starting
 * later can tell the groups of a live deployer (on this host, in the same parent group) from those of one
 * that was SIGKILLed mid-build.
 */
export function createBuildCgroupName(): string {
  return `${groupPrefix}${readOwnTag()}-${randomBytes(6).toString('hex')}`;
}

/** This process's `<pid>.<start time>`: what names a build's cgroups and workspace after their deployer. */
export function readOwnTag(): string {
  return readProcessTag(process.pid) ?? `${process.pid}.0`;
}

/** Whether the process a tag names is still the one running (pid and start time both match). */
export function isTagAlive(tag: string): boolean {
  return readProcessTag(Number(tag.split('.')[0])) === tag;
}

/** The owner's tag in a group name, or undefined for names from before owners were recorded. */
function readOwnerTag(name: string): string | undefined {
  return /^ashapp-build-(\d+\.\d+)-[0-9a-f]+$/.exec(name)?.[1];
}

async function killGroupProcesses(dir: string): Promise<void> {
  // Kill until empty: a process may fork while we read the list; bounded so a stuck group cannot hang us.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const procs = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean);
    if (procs.length === 0) return;
    for (const pid of procs) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface CgroupSweep {
  /** Groups removed: empty ones, and ones whose deployer is gone (their processes killed first). */
  removed: string[];
  /** Groups left: a live deployer's, or an unowned one that still has processes. */
  kept: string[];
}

/**
 * Removes build groups a SIGKILLed deployer left behind (issue 8): a kill skips `remove()`, and since
 * setpriv clears the parent-death signal the build itself may still be running in its group. A group is
 * removed when it is empty, or when the deployer that made it is no longer alive (its processes are then
 * orphans of no live build and are killed). A live deployer's groups, and unowned groups with processes
 * (names from before owners were recorded), are left alone.
 */
export async function sweepStaleBuildCgroups(root = '/sys/fs/cgroup'): Promise<CgroupSweep> {
  const own = await readOwnPaths(root);
  const removed = new Set<string>();
  const kept = new Set<string>();
  for (const controller of controllers) {
    const parent = join(root, controller, own[controller]);
    const names = (await readdir(parent, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && entry.name.startsWith(groupPrefix))
      .map((entry) => entry.name);
    for (const name of names) {
      const dir = join(parent, name);
      const owner = readOwnerTag(name);
      if (owner !== undefined) {
        if (isTagAlive(owner)) {
          kept.add(name);
          continue;
        }
        await killGroupProcesses(dir);
      }
      try {
        await rmdir(dir);
        removed.add(name);
      } catch (err) {
        // EBUSY: an unowned group that still has processes; it is not ours to kill.
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
        kept.add(name);
      }
    }
  }
  return { removed: [...removed].filter((n) => !kept.has(n)), kept: [...kept] };
}

export async function createBuildCgroup(
  name: string,
  limits: ResourceLimits,
  root = '/sys/fs/cgroup',
): Promise<BuildCgroup> {
  const own = await readOwnPaths(root);
  const relative = (c: Controller) => join(own[c], name);
  const dir = (c: Controller) => join(root, c, relative(c));
  const created: Controller[] = [];
  const killAll = (controller: Controller) => killGroupProcesses(dir(controller));
  const removeAll = async () => {
    for (const controller of created) {
      await killAll(controller);
      await rmdir(dir(controller)).catch(() => undefined);
    }
  };
  try {
    for (const controller of controllers) {
      await mkdir(dir(controller));
      created.push(controller);
    }
    await writeFile(join(dir('memory'), 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without swap accounting this file is absent; with it, swap must not extend the limit.
    await writeFile(join(dir('memory'), 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(
      () => undefined,
    );
    const period = 100_000;
    await writeFile(join(dir('cpu'), 'cpu.cfs_period_us'), String(period));
    await writeFile(
      join(dir('cpu'), 'cpu.cfs_quota_us'),
      String(Math.max(1000, Math.round(limits.cpus * period))),
    );
    await writeFile(join(dir('pids'), 'pids.max'), String(limits.pids));
  } catch (err) {
    await removeAll();
    throw err;
  }
  return {
    cgexecArgs: controllers.flatMap((c) => ['-g', `${c}:${relative(c)}`]),
    async oomKilled() {
      const text = await readFile(join(dir('memory'), 'memory.oom_control'), 'utf8').catch(() => '');
      // `oom_kill` is there since Linux 4.13; older kernels only report whether the group is under OOM.
      const count = /oom_kill (\d+)/.exec(text)?.[1] ?? /under_oom (\d+)/.exec(text)?.[1];
      return Number(count ?? 0) > 0;
    },
    killNow() {
      let procs: string[] = [];
      try {
        procs = readFileSync(join(dir('pids'), 'cgroup.procs'), 'utf8')
          .split('\n')
          .filter(Boolean);
      } catch {
        return;
      }
      for (const pid of procs) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    remove: removeAll,
  };
}
