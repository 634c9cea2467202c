import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { InputError, NotAllowedError, UnavailableError, UpstreamError, type Logger } from '@ashapp/platform';
import { stringify } from 'yaml';
import { runCommand, summarizeOutput } from '../process/run-command.ts';
import { readStorageArgs, type ContainerStorage } from '../build/buildah-builder.ts';
import { withTemporaryAuthFile } from '../registry/auth-file.ts';
import { healthPath } from '../build/dockerfile.ts';
import type { KubeObject } from '../manifests/render-manifests.ts';
import {
  findWorkload,
  type AppRef,
  type DeployTarget,
  type RolloutEvent,
  type TargetStatus,
} from './deploy-target.ts';
import {
  parsePodmanList,
  PodmanContainerSchema,
  PodmanPodSchema,
  type PodmanContainer,
  type PodmanPod,
} from './podman-json.ts';
import { ownershipKeys, readIdentityHash, readLocalName, stampOwnership } from './resource-names.ts';

export interface PodmanTargetOptions {
  log: Logger;
  /** The child's environment; must carry PATH and CONTAINERS_CONF (the project's containers.conf). */
  env: Readonly<Record<string, string>>;
  /** Where the derived pod YAML and the chosen host port per app are kept (kube down needs the YAML). */
  stateDir: string;
  podman?: string;
  storage?: ContainerStorage;
  /** Loopback address the container port is published on. */
  hostIp?: string;
  /** Path checked over HTTP when the manifest has no HTTP readiness probe. */
  readyPath?: string;
  pollIntervalMs?: number;
}

interface AppState {
  hostPort: number;
  containerPort: number;
  podName: string;
  /** From kube play's output; pod naming differs between podman versions (`<name>-pod-0`, `<name>-pod`). */
  podId: string | undefined;
  /** The readiness probe's path from the manifest, checked over HTTP instead. */
  readyPath: string;
}

async function allocateLoopbackPort(hostIp: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, hostIp, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs the generated manifest on this machine with `podman kube play`: the local target for a machine
 * without a cluster. The pod spec is derived from the Kubernetes one: one replica, the container port
 * published on a loopback host port (stable per app, so rollbacks keep the URL), probes dropped (podman
 * would turn them into in-container health checks that need curl in the image; readiness is checked from
 * outside over HTTP instead).
 */
export function createPodmanTarget(options: PodmanTargetOptions): DeployTarget {
  const podman = options.podman ?? 'podman';
  const globalArgs = readStorageArgs(options.storage);
  const hostIp = options.hostIp ?? '127.0.0.1';
  const readyPath = options.readyPath ?? healthPath;
  const pollIntervalMs = options.pollIntervalMs ?? 250;

  // Injective over (owner, namespace, app): `${namespace}-${app}` let `a`/`b-c` and `a-b`/`c` share a pod.
  const appDir = (app: AppRef) => join(options.stateDir, readLocalName(app));
  const podName = (app: AppRef) => readLocalName(app);

  async function readState(app: AppRef): Promise<AppState | undefined> {
    let text: string;
    try {
      text = await readFile(join(appDir(app), 'state.json'), 'utf8');
    } catch (error) {
      // Never deployed on this machine (or deleted): no state is the true answer.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as AppState;
    } catch (error) {
      throw new UnavailableError(
        `the podman target's state for ${app.appName} is not readable JSON (${(error as Error).message}); remove ${join(appDir(app), 'state.json')} after checking the pod by hand`,
      );
    }
  }

  async function podman_(args: string[], timeoutMs = 120_000) {
    return runCommand({ command: podman, args: [...globalArgs, ...args], env: options.env, timeoutMs });
  }

  function derivePod(
    workload: KubeObject,
    app: AppRef,
    hostPort: number,
  ): { yaml: string; containerPort: number; probePath: string | undefined } {
    const spec = structuredClone(workload.spec) as {
      template: { metadata?: Record<string, unknown>; spec: { containers: Array<Record<string, unknown>> } };
    };
    const containers = spec.template.spec.containers;
    let containerPort: number | undefined;
    let probePath: string | undefined;
    for (const container of containers) {
      const probe = container.readinessProbe as { httpGet?: { path?: unknown } } | undefined;
      if (probePath === undefined && typeof probe?.httpGet?.path === 'string') probePath = probe.httpGet.path;
      delete container.readinessProbe;
      delete container.livenessProbe;
      const ports = (container.ports ?? []) as Array<Record<string, unknown>>;
      for (const port of ports) {
        if (containerPort === undefined && typeof port.containerPort === 'number') {
          containerPort = port.containerPort;
          port.hostPort = hostPort;
          port.hostIP = hostIp;
        }
      }
    }
    if (containerPort === undefined)
      throw new InputError('manifest: the workload has no container port to publish', { field: 'manifest' });
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: podName(app),
        labels: workload.metadata.labels ?? {},
        annotations: workload.metadata.annotations ?? {},
      },
      spec: {
        replicas: 1,
        selector: (workload.spec as { selector: unknown }).selector,
        template: spec.template,
      },
    };
    return { yaml: stringify(deployment, { lineWidth: 0 }), containerPort, probePath };
  }

  async function inspectContainers(podId: string | undefined): Promise<PodmanContainer[]> {
    if (!podId) return [];
    const result = await podman_(['ps', '-a', '--filter', `pod=${podId}`, '--format', 'json']);
    if (result.code !== 0) throw new UnavailableError(`podman ps failed: ${summarizeOutput(result, 3)}`);
    return parsePodmanList(result.stdout, PodmanContainerSchema, 'podman ps').filter(
      (c) => !c.IsInfra && !c.Names.some((n) => n.endsWith('-infra')),
    );
  }

  /** Pods kube play made for this app's name (`<name>-pod`, `<name>-pod-0` … depending on the podman version). */
  async function listPods(app: AppRef): Promise<PodmanPod[]> {
    const name = podName(app);
    const result = await podman_(['pod', 'ps', '--filter', `name=^${name}-pod`, '--format', 'json'], 60_000);
    if (result.code !== 0) throw new UnavailableError(`podman pod ps failed: ${summarizeOutput(result, 3)}`);
    const pods = parsePodmanList(result.stdout, PodmanPodSchema, 'podman pod ps');
    return pods.filter((p) => p.Name === `${name}-pod` || new RegExp(`^${name}-pod-\\d+$`).test(p.Name));
  }

  /** Refuses to touch a pod under this app's name that carries another identity (or none: not ours). */
  async function assertOwnPods(app: AppRef): Promise<PodmanPod[]> {
    const pods = await listPods(app);
    const mine = readIdentityHash(app);
    for (const pod of pods) {
      if (pod.Labels?.[ownershipKeys.identity] !== mine) {
        throw new NotAllowedError(
          `pod ${pod.Name} is not ${app.appName}'s in ${app.namespace}; it is left untouched`,
        );
      }
    }
    return pods;
  }

  return {
    name: 'podman',
    async available() {
      const result = await runCommand({
        command: podman,
        args: ['--version'],
        env: options.env,
        timeoutMs: 10_000,
      }).catch(() => undefined);
      return result?.code === 0;
    },

    async apply(objects, applyOptions) {
      const workload = findWorkload(objects);
      if (!workload)
        throw new InputError('manifest: no Deployment or ReplicaSet to run', { field: 'manifest' });
      const app: AppRef = {
        appName: workload.metadata.labels?.['app.kubernetes.io/name'] ?? workload.metadata.name,
        namespace: applyOptions.namespace,
        owner: applyOptions.owner,
      };
      await assertOwnPods(app);
      const previous = await readState(app);
      const hostPort = previous?.hostPort ?? (await allocateLoopbackPort(hostIp));
      const { yaml, containerPort, probePath } = derivePod(stampOwnership(workload, app), app, hostPort);
      const dir = appDir(app);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, 'pod.yaml');
      await writeFile(file, yaml, { mode: 0o600 });
      const registry = applyOptions.registry;
      const result = await withTemporaryAuthFile(
        registry ? [{ registry: registry.host, credentials: registry.credentials }] : [],
        (auth) =>
          podman_(
            [
              'kube',
              'play',
              '--replace',
              `--tls-verify=${registry?.insecure ? 'false' : 'true'}`,
              '--authfile',
              auth.path,
              file,
            ],
            5 * 60_000,
          ),
      );
      if (result.code !== 0)
        throw new UpstreamError(`podman kube play failed: ${summarizeOutput(result, 3)}`);
      const podId = /Pod:\s*\n([0-9a-f]{12,64})/.exec(result.stdout)?.[1];
      const state: AppState = {
        hostPort,
        containerPort,
        podName: podName(app),
        podId,
        readyPath: probePath ?? readyPath,
      };
      await writeFile(join(dir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
      options.log.info({ app: app.appName, namespace: app.namespace, hostPort }, 'podman pod played');
      return {
        workload: {
          ...app,
          kind: workload.kind as 'Deployment' | 'ReplicaSet',
          name: workload.metadata.name,
        },
        applied: [
          `pod/${podName(app)} played (${workload.kind.toLowerCase()}/${workload.metadata.name}, ${hostIp}:${hostPort}->${containerPort})`,
        ],
      };
    },

    async followRollout(workload, followOptions) {
      const state = await readState(workload);
      if (!state) return { ok: false, reason: 'NotFound', message: 'the app is not running on podman' };
      const deadline = Date.now() + followOptions.timeoutMs;
      const emit = (event: RolloutEvent) => followOptions.onEvent?.(event);
      const url = `http://${hostIp}:${state.hostPort}${state.readyPath}`;
      let lastStatus = '';
      while (Date.now() < deadline) {
        if (followOptions.signal?.aborted)
          return { ok: false, reason: 'Aborted', message: 'rollout follow aborted' };
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
          await res.body?.cancel();
          if (res.status === 200) {
            emit({ message: `ready: ${state.readyPath} answered 200`, readyReplicas: 1, desiredReplicas: 1 });
            return { ok: true, readyReplicas: 1 };
          }
          if (`${res.status}` !== lastStatus)
            emit({
              message: `${state.readyPath} answered ${res.status}`,
              readyReplicas: 0,
              desiredReplicas: 1,
            });
          lastStatus = `${res.status}`;
        } catch {
          // Not listening yet; the container state below says whether it ever will.
        }
        const containers = await inspectContainers(state.podId);
        const exited = containers.find((c) => c.Exited || /exited|stopped/i.test(c.State));
        if (exited) {
          const logs = await podman_(['logs', '--tail', '20', exited.Id], 30_000);
          const tail = summarizeOutput(logs, 3);
          return {
            ok: false,
            reason: 'CrashLoopBackOff',
            message: `container exited with code ${exited.ExitCode}${tail ? `: ${tail}` : ''}`,
          };
        }
        await new Promise((r) => setTimeout(r, pollIntervalMs));
      }
      return {
        ok: false,
        reason: 'ProgressDeadlineExceeded',
        message: `not ready within ${Math.round(followOptions.timeoutMs / 1000)} s`,
      };
    },

    async readLogs(workload, tailLines) {
      const state = await readState(workload);
      const container = (await inspectContainers(state?.podId))[0];
      if (!container) return [];
      const logs = await podman_(['logs', '--tail', String(tailLines), container.Id], 30_000);
      // podman replays the container's stdout and stderr on its own two streams: gunicorn writes to stderr.
      return `${logs.stdout}\n${logs.stderr}`.split('\n').filter((l) => l.trim() !== '');
    },

    async readUrl(app) {
      const state = await readState(app);
      return state ? { url: `http://${hostIp}:${state.hostPort}/` } : undefined;
    },

    async readStatus(app): Promise<TargetStatus> {
      const pods = await listPods(app);
      if (pods.length === 0) return 'missing';
      if (pods.some((p) => p.Labels?.[ownershipKeys.identity] !== readIdentityHash(app))) return 'foreign';
      // `pod inspect` reads only this pod (a `ps` over every container fails when any other one is broken).
      const inspected = await podman_(['pod', 'inspect', '--format', '{{.State}}', pods[0]!.Id], 30_000);
      if (inspected.code !== 0) {
        if (/no such pod/i.test(inspected.stderr)) return 'missing';
        throw new UnavailableError(`podman pod inspect failed: ${summarizeOutput(inspected, 3)}`);
      }
      return inspected.stdout.trim() === 'Running' ? 'running' : 'not-ready';
    },
    async delete(app) {
      await assertOwnPods(app);
      const file = join(appDir(app), 'pod.yaml');
      const exists = await readFile(file, 'utf8').then(
        () => true,
        () => false,
      );
      if (exists) {
        const result = await podman_(['kube', 'down', file]);
        if (result.code !== 0 && !/no such pod|not found/i.test(result.stderr)) {
          throw new UnavailableError(`podman kube down failed: ${summarizeOutput(result, 3)}`);
        }
      }
      await rm(appDir(app), { recursive: true, force: true });
    },
  };
}
