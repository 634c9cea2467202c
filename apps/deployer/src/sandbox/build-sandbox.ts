import { runCommand } from '../process/run-command.ts';
import { createBuildCgroup, createBuildCgroupName, sweepStaleBuildCgroups } from './cgroups.ts';
import { checkSandboxHost, readSandboxDirs } from './sandbox-host.ts';
import { openBuildNetwork } from './sandbox-network.ts';
import {
  SandboxUnavailableError,
  type BuildSandbox,
  type BuildSandboxOptions,
  type SandboxStatus,
} from './sandbox-types.ts';
import { createSandboxWorkspace, sweepStaleWorkspaces } from './sandbox-workspace.ts';

export { sandboxTools } from './sandbox-host.ts';
export {
  SandboxUnavailableError,
  type BuildSandbox,
  type BuildSandboxOptions,
  type IdRange,
  type SandboxLimits,
  type SandboxRunRequest,
  type SandboxRunResult,
  type SandboxStatus,
  type SandboxUser,
  type SandboxWorkspace,
} from './sandbox-types.ts';

/**
 * The build sandbox of ADR 0008: host checks in sandbox-host.ts, the per-build network in
 * sandbox-network.ts, the per-build folder (and disk) in sandbox-workspace.ts, limits in cgroups.ts.
 */
export function createBuildSandbox(options: BuildSandboxOptions): BuildSandbox {
  const { log, policy, limits } = options;
  const env = { PATH: options.path, LC_ALL: 'C' };
  const dirs = readSandboxDirs(options.storageDir);
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

  async function status(): Promise<SandboxStatus> {
    if (ready) return ready;
    const current = checkSandboxHost(options, dirs, env);
    const result = await current;
    if (result.ready) ready = current;
    return result;
  }

  return {
    limits,
    status,
    storageArgs,
    sweepStaleGroups: () => sweepStaleBuildCgroups(),
    sweepStaleWorkspaces: () => sweepStaleWorkspaces(dirs, env),
    async createWorkspace() {
      const current = await status();
      if (!current.ready) throw new SandboxUnavailableError(current.problems);
      return createSandboxWorkspace({
        user: current.user,
        dirs,
        limits,
        sharedStorageArgs: storageArgs,
        env,
      });
    },
    async run(request) {
      const current = await status();
      if (!current.ready) throw new SandboxUnavailableError(current.problems);
      const name = createBuildCgroupName();
      const holder =
        request.network === 'host' ? undefined : await openBuildNetwork(env, policy, request.network);
      let cgroup: Awaited<ReturnType<typeof createBuildCgroup>> | undefined;
      try {
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
            ? {
                ...request.env,
                HOME: dirs.home,
                XDG_RUNTIME_DIR: dirs.run,
                TMPDIR: request.tmpDir ?? dirs.tmp,
              }
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
        await holder?.close();
      }
    },
  };
}
