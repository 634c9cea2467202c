import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JobPodRun, JobRunner } from '../../../apps/deployer/test/kube-stand-in.ts';
import { run as runTool, type Tools } from './base-images.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- pod specs as the API serves them

export interface PodmanJobRunnerOptions {
  tools: Tools;
  /**
   * `hostUsers: false` as podman can give it: the pod's ids mapped to this host range (uid 0 in the pod is
   * `start` on the host), with every emptyDir and Secret file owned by that id.
   */
  userNamespace?: { start: number; size: number };
  /** The kubelet's pod PID limit (`podPidsLimit`, a node setting); Kubernetes has no per-pod field. */
  pidsLimit?: number;
  /** Extra arguments for every `podman run`, e.g. to measure other settings (never used by the tests' defaults). */
  extraArgs?: (container: Obj) => string[];
}

export interface PodmanRunRecord {
  pod: string;
  container: string;
  args: string[];
  exitCode: number;
}

/** Kubernetes quantities as podman takes them: `500m` → 0.5 CPUs, `2048Mi` → `2048m` bytes. */
function cpus(quantity: string): string {
  return quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity;
}
function memory(quantity: string): string {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`memory quantity ${quantity} is not handled by the runner`);
  const unit = { Ki: 'k', Mi: 'm', Gi: 'g' }[m[2] ?? ''] ?? 'b';
  return `${m[1]}${unit}`;
}

/**
 * The node's part of a Job for the Kubernetes API stand-in: runs the pod the Job controller made with
 * podman, translating its spec the way a kubelet and runc would apply it:
 *
 * - pod + container securityContext: runAsUser/runAsGroup → `--user`, runAsNonRoot refused for uid 0
 *   (CreateContainerConfigError), capabilities drop/add → `--cap-drop`/`--cap-add`,
 *   allowPrivilegeEscalation false → `no-new-privileges`, readOnlyRootFilesystem → `--read-only` (without
 *   podman's extra tmpfs mounts: Kubernetes adds none), privileged → `--privileged`, seccomp RuntimeDefault →
 *   podman's default profile, `hostUsers: false` → `--uidmap/--gidmap` (when `userNamespace` is given);
 * - emptyDir → a host folder shared by the pod's containers (as the kubelet's default medium; sizeLimit is
 *   the kubelet's eviction, not emulated); Secret volumes → their items as read-only files with defaultMode;
 * - limits.cpu/memory → `--cpus`/`--memory`; the node's PID limit → `--pids-limit`;
 * - command → `--entrypoint`, args, env, workingDir; terminationMessagePath → a file mounted at
 *   /dev/termination-log (mode 0666, as the kubelet makes it), read back as the termination message;
 * - init containers one after the other, then the containers (a build Job has one); restartPolicy Never.
 *
 * The network is the host's (`--network host`): the test's registry (and git server) listen on loopback. NetworkPolicy
 * needs a CNI plugin and is checked statically by tests/manifests.
 */
export function createPodmanJobRunner(options: PodmanJobRunnerOptions): {
  runner: JobRunner;
  records: PodmanRunRecord[];
} {
  const records: PodmanRunRecord[] = [];
  const env = options.tools.env;
  const podman = (args: string[]) => runTool('podman', args, { env, timeoutMs: 120_000 });

  /** The host id of the pod's root: its own range with `hostUsers: false` (files it must own are chowned to it). */
  const hostRootOf = (run: JobPodRun) =>
    (run.pod.spec as Obj).hostUsers === false ? (options.userNamespace?.start ?? 0) : 0;

  async function runContainer(
    run: JobPodRun,
    container: Obj,
    podDir: string,
    volumes: Map<string, string>,
  ): Promise<number> {
    const hostRoot = hostRootOf(run);
    const spec = run.pod.spec as Obj;
    const podSc = (spec.securityContext ?? {}) as Obj;
    const sc = { ...podSc, ...(container.securityContext ?? {}) } as Obj;
    const podName = run.pod.metadata.name as string;
    const name = `${podName}-${container.name as string}`;
    const args = [
      'run',
      '--rm',
      '--name',
      name,
      '--hostname',
      podName,
      '--network',
      'host',
      '--pull',
      'never',
    ];
    const uid = sc.runAsUser as number | undefined;
    const gid = sc.runAsGroup as number | undefined;
    if (sc.runAsNonRoot === true && uid === 0) {
      run.log(container.name, 'Error: container has runAsNonRoot and image will run as root');
      return 128;
    }
    if (uid !== undefined) args.push('--user', `${uid}:${gid ?? uid}`);
    if (spec.hostUsers === false) {
      if (!options.userNamespace) throw new Error('hostUsers: false needs the runner’s userNamespace option');
      const { start, size } = options.userNamespace;
      args.push('--uidmap', `0:${start}:${size}`, '--gidmap', `0:${start}:${size}`);
    }
    if (sc.privileged === true) args.push('--privileged');
    const caps = (sc.capabilities ?? {}) as { drop?: string[]; add?: string[] };
    for (const cap of caps.drop ?? []) args.push('--cap-drop', cap);
    for (const cap of caps.add ?? []) args.push('--cap-add', cap);
    if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
    if (sc.readOnlyRootFilesystem === true) args.push('--read-only', '--read-only-tmpfs=false');
    const seccomp = (sc.seccompProfile ?? {}) as { type?: string };
    if (seccomp.type === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
    else if (seccomp.type !== 'RuntimeDefault')
      throw new Error(`seccomp ${String(seccomp.type)} not handled`);
    const limits = ((container.resources ?? {}) as Obj).limits ?? {};
    if (limits.cpu) args.push('--cpus', cpus(String(limits.cpu)));
    if (limits.memory) args.push('--memory', memory(String(limits.memory)));
    args.push('--pids-limit', String(options.pidsLimit ?? 4096));
    for (const mount of (container.volumeMounts ?? []) as Obj[]) {
      const source = volumes.get(mount.name as string);
      if (!source) throw new Error(`volume ${String(mount.name)} is not defined in the pod`);
      args.push('-v', `${source}:${String(mount.mountPath)}:${mount.readOnly ? 'ro' : 'rw'}`);
    }
    const termination = path.join(podDir, `termination-${container.name as string}`);
    await writeFile(termination, '');
    await chown(termination, hostRoot, hostRoot);
    // As the kubelet does (0666): a container running as non-root can write its termination message too.
    await chmod(termination, 0o666);
    args.push(
      '-v',
      `${termination}:${String(container.terminationMessagePath ?? '/dev/termination-log')}:rw`,
    );
    for (const e of (container.env ?? []) as Obj[])
      args.push('-e', `${String(e.name)}=${String(e.value ?? '')}`);
    if (container.workingDir) args.push('--workdir', String(container.workingDir));
    if (Array.isArray(container.command)) args.push('--entrypoint', JSON.stringify(container.command));
    args.push(...(options.extraArgs?.(container) ?? []));
    args.push(String(container.image), ...((container.args ?? []) as string[]));

    run.started(container.name);
    const exitCode = await new Promise<number>((resolve) => {
      const child = spawn('podman', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const pending: Record<'out' | 'err', string> = { out: '', err: '' };
      const take = (which: 'out' | 'err') => (chunk: Buffer) => {
        const lines = (pending[which] + chunk.toString('utf8')).split(/\r?\n/);
        pending[which] = lines.pop() ?? '';
        for (const line of lines) run.log(container.name, line);
      };
      child.stdout.on('data', take('out'));
      child.stderr.on('data', take('err'));
      const onAbort = () => void podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
      run.signal.addEventListener('abort', onAbort, { once: true });
      child.once('error', () => resolve(127));
      child.once('close', (code) => {
        run.signal.removeEventListener('abort', onAbort);
        for (const rest of [pending.out, pending.err]) if (rest) run.log(container.name, rest);
        resolve(code ?? 137);
      });
    });
    records.push({ pod: podName, container: container.name as string, args, exitCode });
    if (!run.signal.aborted) {
      const message = await readFile(termination, 'utf8').catch(() => '');
      run.exited(container.name, { exitCode, ...(message.trim() ? { message } : {}) });
    }
    return exitCode;
  }

  const runner: JobRunner = async (run) => {
    const spec = run.pod.spec as Obj;
    const podDir = await mkdtemp(path.join(tmpdir(), 'ashapp-job-pod-'));
    const hostRoot = hostRootOf(run);
    try {
      await chmod(podDir, 0o711);
      const volumes = new Map<string, string>();
      for (const volume of (spec.volumes ?? []) as Obj[]) {
        const dir = path.join(podDir, 'volumes', volume.name as string);
        await mkdir(dir, { recursive: true });
        if (volume.emptyDir) {
          // The kubelet makes an emptyDir world-writable (0777), owned by the pod's root.
          await chmod(dir, 0o777);
          await chown(dir, hostRoot, hostRoot);
        } else if (volume.secret) {
          // The kubelet fetches the Secret and writes the chosen keys (all without items) with defaultMode.
          const data = run.secret(volume.secret.secretName as string);
          if (!data) throw new Error(`secret ${String(volume.secret.secretName)} not found (FailedMount)`);
          const items = (volume.secret.items ?? Object.keys(data).map((k) => ({ key: k, path: k }))) as Obj[];
          for (const item of items) {
            const value = data[item.key as string];
            if (!value) throw new Error(`secret key ${String(item.key)} missing (FailedMount)`);
            const file = path.join(dir, item.path as string);
            await writeFile(file, value, {
              mode: (item.mode ?? volume.secret.defaultMode ?? 0o644) as number,
            });
            await chown(file, hostRoot, hostRoot);
          }
          await chown(dir, hostRoot, hostRoot);
        } else throw new Error(`volume ${String(volume.name)}: only emptyDir and secret are emulated`);
        volumes.set(volume.name as string, dir);
      }
      for (const container of [
        ...((spec.initContainers ?? []) as Obj[]),
        ...((spec.containers ?? []) as Obj[]),
      ]) {
        if (run.signal.aborted) return;
        const code = await runContainer(run, container, podDir, volumes);
        if (code !== 0) return;
      }
    } finally {
      // Files written as root inside the container (vfs layers) go with the folder.
      await rm(podDir, { recursive: true, force: true });
    }
  };
  return { runner, records };
}
