import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, chown, cp, mkdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '@ashapp/platform';
import { runCommand, type CommandResult } from '../process/run-command.ts';
import {
  checkCgroupSupport,
  createBuildCgroup,
  createBuildCgroupName,
  sweepStaleBuildCgroups,
  type CgroupSweep,
  type ResourceLimits,
} from './cgroups.ts';
import { readHostAddresses, type AddressPolicy } from './network-policy.ts';
import { renderSandboxRuleset } from './nft-ruleset.ts';
import { mountBuildDisk } from './build-disk.ts';

export interface IdRange {
  start: number;
  count: number;
}

export interface SandboxLimits extends ResourceLimits {
  /** Largest single file a sandboxed process may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /**
   * Everything one build may write: its workspace (context, base image hand-over, its own container
   * storage, temporary files, the exported result) is a filesystem of this size. 0: no bound (the
   * workspace is a plain folder and builds share the build user's store and its layer cache).
   */
  maxDiskBytes: number;
}

export interface BuildSandboxOptions {
  log: Logger;
  /** PATH used to find the sandbox tools (the same PATH the children get). */
  path: string;
  policy: AddressPolicy;
  limits: SandboxLimits;
  /**
   * Unprivileged system user that runs buildah (rootless): root inside a build is this user outside, and
   * the other ids of a build are its /etc/subuid and /etc/subgid ranges (mapped by newuidmap/newgidmap).
   */
  user: string;
  /** The build user's own container storage, home and per-build folders (created, owned by the user). */
  storageDir: string;
}

export interface SandboxUser {
  uid: number;
  gid: number;
  uids: IdRange;
  gids: IdRange;
}

export type SandboxStatus = { ready: true; user: SandboxUser } | { ready: false; problems: string[] };

/** A folder for one build, owned by the build user (context copy, image exports); removed afterwards. */
export interface SandboxWorkspace {
  dir: string;
  /**
   * Container storage flags for this build: its own store inside the workspace when the disk is bounded
   * (so the bound covers its layers; base images are read from the shared store), else the build user's
   * shared store.
   */
  storageArgs: readonly string[];
  /** Where the build's temporary files go (TMPDIR), inside the bounded workspace when there is one. */
  tmpDir: string;
  /** The workspace's size, when it is a bounded filesystem. */
  diskLimitBytes: number | undefined;
  /** Copies a folder in (e.g. the build context) and hands it to the build user. */
  copyIn(source: string, name: string): Promise<string>;
  /** Hands a folder root wrote (e.g. an exported image) to the build user. */
  giveToUser(path: string): Promise<void>;
  remove(): Promise<void>;
}

export interface SandboxRunRequest {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
  timeoutMs: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /**
   * `outside`: the outside world through slirp4netns and the egress rules; `none`: its own loopback only;
   * `host`: the host's network, for operator-trusted steps only (pulling a configured base image).
   */
  network: 'outside' | 'none' | 'host';
  /** Run as the build user (rootless buildah) instead of root. */
  asUser: boolean;
  /**
   * Whether the file-size limit applies (default true). Off only for the service's own steps on a build's
   * result, such as exporting an image, which write whole layers.
   */
  limitFileSize?: boolean;
  /** TMPDIR for the build user (default: the user's own shared temporary folder). */
  tmpDir?: string;
}

export interface SandboxRunResult extends CommandResult {
  /** The memory limit was hit and the kernel killed a process of the build. */
  oomKilled: boolean;
}

/**
 * Runs a command (buildah, git) in its own network, PID, mount and IPC namespaces, in its own cgroups, with
 * a file-size limit, optionally as the unprivileged build user (then buildah is rootless: its RUN steps are
 * root only inside a user namespace mapped to that user and its subordinate ids).
 */
export interface BuildSandbox {
  status(): Promise<SandboxStatus>;
  run(request: SandboxRunRequest): Promise<SandboxRunResult>;
  createWorkspace(): Promise<SandboxWorkspace>;
  /** `--root`/`--runroot`/driver flags of the build user's own container storage. */
  readonly storageArgs: readonly string[];
  readonly limits: SandboxLimits;
  /** Removes build cgroups a killed deployer left behind (run at start-up; see `sweepStaleBuildCgroups`). */
  sweepStaleGroups(): Promise<CgroupSweep>;
}

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

export class SandboxUnavailableError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the build sandbox is not available on this host: ${problems.join('; ')}`);
    this.name = 'SandboxUnavailableError';
  }
}

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

/** Reads from a stream until it yields data or ends; bounded by `timeoutMs`. */
function waitForData(stream: Readable, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      resolve(value);
    };
    const onData = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

export function createBuildSandbox(options: BuildSandboxOptions): BuildSandbox {
  const { log, policy, limits } = options;
  const env = { PATH: options.path, LC_ALL: 'C' };
  const dirs = {
    root: join(options.storageDir, 'storage'),
    runroot: join(options.storageDir, 'run', 'storage'),
    home: join(options.storageDir, 'home'),
    run: join(options.storageDir, 'run'),
    builds: join(options.storageDir, 'builds'),
    tmp: join(options.storageDir, 'tmp'),
  };
  const storageArgs = Object.freeze([
    '--root',
    dirs.root,
    '--runroot',
    dirs.runroot,
    '--storage-driver',
    'overlay',
  ]);
  // Only success is remembered: an operator who installs what was missing needs no restart.
  let ready: Promise<SandboxStatus> | undefined;

  async function checkStatus(): Promise<SandboxStatus> {
    const problems: string[] = [];
    const missing = [];
    for (const tool of sandboxTools) if (!(await findTool(tool.name, options.path))) missing.push(tool);
    if (missing.length > 0) {
      const packages = [...new Set(missing.map((t) => t.from))];
      problems.push(
        `missing ${missing.map((t) => t.name).join(', ')} (apt-get install ${packages.join(' ')})`,
      );
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

  async function status(): Promise<SandboxStatus> {
    if (ready) return ready;
    const current = checkStatus();
    const result = await current;
    if (result.ready) ready = current;
    return result;
  }

  /** A process that only holds a fresh network namespace open; `cat` ends when its stdin closes. */
  async function startNamespaceHolder(): Promise<{ child: ChildProcess; pid: number }> {
    const child = spawn('unshare', ['--net', '--', 'cat'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    const failed = new Promise<never>((_, reject) => child.once('error', reject));
    failed.catch(() => undefined);
    const own = await readlink('/proc/self/ns/net');
    const deadline = Date.now() + 5000;
    for (;;) {
      if (child.pid !== undefined) {
        const ns = await readlink(`/proc/${child.pid}/ns/net`).catch(() => own);
        if (ns !== own) return { child, pid: child.pid };
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        await stopChild(child);
        throw new Error('could not create a network namespace for the build');
      }
      await Promise.race([new Promise((r) => setTimeout(r, 5)), failed]);
    }
  }

  async function run(command: string, args: string[]): Promise<void> {
    const result = await runCommand({ command, args, env, timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`${command} failed: ${result.stderr.trim()}`);
  }

  async function inNamespace(pid: number, args: string[], input?: string): Promise<void> {
    const result = await runCommand({
      command: 'nsenter',
      args: ['-t', String(pid), '-n', '--', ...args],
      env,
      timeoutMs: 15_000,
      ...(input !== undefined ? { input } : {}),
    });
    if (result.code !== 0) throw new Error(`${args[0]} in the build network failed: ${result.stderr.trim()}`);
  }

  /** User-mode networking into the namespace: connections leave from the host as ordinary sockets. */
  async function startSlirp(pid: number): Promise<ChildProcess> {
    // slirp4netns' --enable-sandbox pivots into an empty root and unmounts the old one; where "/" is a shared
    // mount its unmounts propagate to the host (measured: podman's /run/netns/* mounts vanished). So it
    // starts in its own mount namespace whose mounts are all private first.
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'slirp4netns',
        '--configure',
        '--mtu=65520',
        '--disable-host-loopback',
        '--enable-sandbox',
        '--enable-seccomp',
        '--ready-fd=3',
        '--exit-fd=4',
        String(pid),
        'tap0',
      ],
      // fd 4 is a pipe nobody writes to: slirp4netns exits when it closes, i.e. when we do.
      { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const readyFd = child.stdio[3] as Readable | null;
    const isReady = readyFd ? await waitForData(readyFd, 10_000) : false;
    if (!isReady) {
      await stopChild(child);
      throw new Error(`slirp4netns did not come up: ${stderr.trim()}`);
    }
    return child;
  }

  return {
    limits,
    status,
    storageArgs,
    sweepStaleGroups: () => sweepStaleBuildCgroups(),
    async createWorkspace() {
      const current = await status();
      if (!current.ready) throw new SandboxUnavailableError(current.problems);
      const { uid, gid } = current.user;
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
        await run('chown', ['-R', '--no-dereference', `${uid}:${gid}`, '--', path]);
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
          : storageArgs,
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
    },
    async run(request) {
      const current = await status();
      if (!current.ready) throw new SandboxUnavailableError(current.problems);
      const name = createBuildCgroupName();
      const holder = request.network === 'host' ? undefined : await startNamespaceHolder();
      let slirp: ChildProcess | undefined;
      let cgroup: Awaited<ReturnType<typeof createBuildCgroup>> | undefined;
      try {
        if (holder) {
          await inNamespace(holder.pid, ['ip', 'link', 'set', 'lo', 'up']);
          // Rules first, network second: no packet leaves before the rules are in place.
          const ruleset = renderSandboxRuleset({
            allowed: policy.allowed,
            hostAddresses: readHostAddresses(),
          });
          await inNamespace(holder.pid, ['nft', '-f', '-'], ruleset);
          if (request.network === 'outside') slirp = await startSlirp(holder.pid);
        }
        cgroup = await createBuildCgroup(name, limits);
        const { uid, gid } = current.user;
        const started = Date.now();
        // Killing the top process is not enough: setpriv's change of user clears unshare's parent-death
        // signal, so a timeout or an abort ends the whole group, which also closes the output pipes.
        const group = cgroup;
        const killGroup = () => group.killNow();
        let timerFired = false;
        const timer = setTimeout(() => {
          timerFired = true;
          killGroup();
        }, request.timeoutMs);
        request.signal?.addEventListener('abort', killGroup, { once: true });
        const result = await runCommand({
          command: 'cgexec',
          args: [
            ...cgroup.cgexecArgs,
            ...(holder ? ['nsenter', '-t', String(holder.pid), '-n', '--'] : []),
            // The command is PID 1 of its own PID namespace: when it ends, or unshare is killed, all its
            // descendants go too; /proc shows only them.
            'unshare',
            '--pid',
            '--fork',
            '--kill-child',
            '--mount-proc',
            '--ipc',
            '--',
            'prlimit',
            `--fsize=${request.limitFileSize === false ? 'unlimited' : limits.maxFileBytes}`,
            '--core=0',
            '--',
            ...(request.asUser
              ? ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--']
              : []),
            request.command,
            ...request.args,
          ],
          // TMPDIR: rootless buildah stages blobs there; the user's own folder, not the shared /var/tmp.
          env: request.asUser
            ? { ...request.env, HOME: dirs.home, XDG_RUNTIME_DIR: dirs.run, TMPDIR: request.tmpDir ?? dirs.tmp }
            : request.env,
          timeoutMs: request.timeoutMs,
          ...(request.cwd ? { cwd: request.cwd } : {}),
          ...(request.onLine ? { onLine: request.onLine } : {}),
          ...(request.maxOutputBytes ? { maxOutputBytes: request.maxOutputBytes } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        }).finally(() => {
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', killGroup);
        });
        const oomKilled = await cgroup.oomKilled();
        log.debug(
          { sandbox: name, command: request.command, code: result.code, oomKilled, ms: Date.now() - started },
          'sandboxed command ended',
        );
        // Our timer and runCommand's fire together; whichever kills first, it was the time limit.
        return { ...result, timedOut: result.timedOut || timerFired, oomKilled };
      } finally {
        await cgroup?.remove();
        if (slirp) await stopChild(slirp);
        if (holder) {
          holder.child.stdin?.end();
          await stopChild(holder.child);
        }
      }
    },
  };
}
