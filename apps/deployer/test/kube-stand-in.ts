import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';

/**
 * A Kubernetes API stand-in: speaks the HTTP API @kubernetes/client-node uses for the deployer (API
 * discovery, server-side apply PATCH with fieldManager/force, GET/list with label and field selectors,
 * DELETE) for deployments, replicasets, pods, events, services, nodes, ingresses and HPAs, and simulates
 * the controllers: workloads create pods from their template, pods become ready after a few polls or fail
 * the way the test says an image behaves (ImagePullBackOff, CrashLoopBackOff, Unschedulable), Deployments
 * replace old pods only once new ones are ready (maxUnavailable 0).
 */

export type ImageBehaviour = 'ok' | 'image-pull-error' | 'crash' | 'unschedulable' | 'never-ready';

export interface KubeStandInOptions {
  token: string;
  /** How a pod running this image behaves; `ok` by default. */
  behaviour?: (image: string) => ImageBehaviour;
  /** Polls (requests) before a new pod is ready. */
  readyAfterPolls?: number;
  /** Address to listen on; 127.0.0.1 by default (a test bridge's host address for containers). */
  host?: string;
  /** Namespaces besides the four a fresh cluster has (e.g. `ashapp-builds`). */
  namespaces?: readonly string[];
  /**
   * Runs the pod of a Job once the Job controller created it (not suspended): the node's part. Without one,
   * Job pods stay Pending, as on a cluster without nodes.
   */
  jobRunner?: JobRunner;
}

/** What the stand-in hands a Job runner: the pod to run, its Secrets, and where to report. */
export interface JobPodRun {
  namespace: string;
  /** The pod as the Job controller made it from the template (spec, labels, ownerReferences). */
  pod: Obj;
  job: Obj;
  /** A Secret of the pod's namespace, decoded (what the kubelet would mount), or undefined. */
  secret(name: string): Record<string, Buffer> | undefined;
  /** The container is running (its log may be followed from now on). */
  started(container: string): void;
  /** One line of the container's output. */
  log(container: string, line: string): void;
  /** The container exited; `message` is what it wrote to its terminationMessagePath. */
  exited(container: string, result: { exitCode: number; message?: string }): void;
  /** Aborted when the Job's activeDeadlineSeconds passes or the Job (or pod) is deleted. */
  signal: AbortSignal;
}

/** Runs init containers then containers, reporting as it goes; resolves when the pod is done. */
export type JobRunner = (run: JobPodRun) => Promise<void>;

/** What a scripted container does: print these lines, then exit (and write the termination message). */
export interface ScriptedContainer {
  lines: readonly string[];
  exitCode: number;
  message?: string;
  /** Wait this long before exiting (or until the pod is stopped). */
  runMs?: number;
}

/**
 * A Job runner for API-level tests: each container prints its script's lines and exits with its code.
 * `script` picks the behaviour per container name (and may look at the pod).
 */
export function scriptedJobRunner(
  script: (container: string, run: JobPodRun) => ScriptedContainer,
): JobRunner {
  return async (run) => {
    const spec = run.pod.spec;
    for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
      if (run.signal.aborted) return;
      const step = script(container.name, run);
      run.started(container.name);
      for (const line of step.lines) {
        run.log(container.name, line);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (step.runMs) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, step.runMs);
          run.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
      if (run.signal.aborted) return;
      run.exited(container.name, {
        exitCode: step.exitCode,
        ...(step.message ? { message: step.message } : {}),
      });
      if (step.exitCode !== 0) return;
    }
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form API objects
export type { Obj as KubeStandInObject };

export interface KubeStandIn {
  url: string;
  requests: RecordedRequest[];
  /** Stored object or undefined, e.g. get('apps', 'deployments', 'default', 'app'). */
  get(group: string, plural: string, namespace: string, name: string): Obj | undefined;
  list(group: string, plural: string, namespace?: string): Obj[];
  stop(): Promise<void>;
}

interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const resources: Resource[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true },
  {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
  },
];

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  );
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function matchesLabels(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split(/==?/);
    return key !== undefined && (labels ?? {})[key.trim()] === value?.trim();
  });
}

function matchesFields(object: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [path, value] = term.split(/==?/);
    const actual = (path ?? '').split('.').reduce<any>((v, k) => v?.[k], object); // eslint-disable-line @typescript-eslint/no-explicit-any
    return String(actual) === value;
  });
}

function hashTemplate(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
}

export async function startKubeStandIn(options: KubeStandInOptions): Promise<KubeStandIn> {
  const store = new Map<string, Obj>();
  const requests: RecordedRequest[] = [];
  const readyAfter = options.readyAfterPolls ?? 2;
  const behaviour = options.behaviour ?? (() => 'ok' as const);
  let resourceVersion = 1;
  let nodePort = 30625;
  const podPolls = new Map<string, number>();
  // The namespaces a fresh cluster has; writes into any other answer 404 until it is created, as a real
  // API server does.
  for (const name of [
    'default',
    'kube-system',
    'kube-public',
    'kube-node-lease',
    ...(options.namespaces ?? []),
  ]) {
    store.set(`/namespaces//${name}`, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: randomUUID(), labels: {} },
    });
  }

  const key = (group: string, plural: string, namespace: string, name: string) =>
    `${group}/${plural}/${namespace}/${name}`;
  const all = (group: string, plural: string, namespace?: string) =>
    [...store.entries()]
      .filter(([k]) => k.startsWith(`${group}/${plural}/${namespace === undefined ? '' : `${namespace}/`}`))
      .map(([, v]) => v);

  store.set(key('', 'nodes', '', 'stand-in-node'), {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'stand-in-node', uid: randomUUID() },
    status: {
      addresses: [
        { type: 'InternalIP', address: '10.0.0.14' },
        { type: 'Hostname', address: 'stand-in-node' },
      ],
    },
  });

  function addEvent(namespace: string, pod: string, reason: string, message: string): void {
    const name = `${pod}.${reason}`;
    if (store.has(key('', 'events', namespace, name))) return;
    store.set(key('', 'events', namespace, name), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: randomUUID() },
      involvedObject: { kind: 'Pod', name: pod, namespace },
      reason,
      message,
      type: 'Warning',
    });
  }

  function podStatus(pod: Obj, polls: number): void {
    const image: string = pod.spec.containers[0].image;
    const mode = behaviour(image);
    const name = pod.metadata.name as string;
    const ns = pod.metadata.namespace as string;
    const waiting = (reason: string, message: string) => ({
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'False' },
      ],
      containerStatuses: [
        {
          name: 'app',
          image,
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason, message } },
        },
      ],
    });
    if (mode === 'unschedulable') {
      const message = '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available.';
      pod.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
      };
      addEvent(ns, name, 'FailedScheduling', message);
    } else if (polls < readyAfter || mode === 'never-ready') {
      pod.status = waiting('ContainerCreating', '');
    } else if (mode === 'image-pull-error') {
      const message = `Back-off pulling image "${image}"`;
      // ErrImagePull first, for a few polls, then the kubelet's back-off, as a real node reports it.
      pod.status =
        polls < readyAfter + 5
          ? waiting('ErrImagePull', `failed to pull image "${image}": not found`)
          : waiting('ImagePullBackOff', message);
      addEvent(ns, name, 'Failed', `Failed to pull image "${image}": not found`);
    } else if (mode === 'crash') {
      pod.status = waiting('CrashLoopBackOff', `back-off 10s restarting failed container=app pod=${name}`);
      pod.status.phase = 'Running';
      pod.status.containerStatuses[0].restartCount = polls - readyAfter + 1;
    } else {
      pod.status = {
        phase: 'Running',
        podIP: '10.244.0.10',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        containerStatuses: [
          {
            name: 'app',
            image,
            imageID: `${image}@sha256:0`,
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: new Date().toISOString() } },
          },
        ],
      };
    }
  }

  // ---- Jobs: the Job controller and the kubelet's part, as far as the deployer's build Jobs use them ----
  interface ContainerLog {
    lines: string[];
    started: boolean;
    ended: boolean;
    listeners: Set<() => void>;
  }
  /** Per Job pod (uid): each container's output, and the run's abort controller. */
  const jobPods = new Map<string, { logs: Map<string, ContainerLog>; abort: AbortController }>();
  const containerLog = (podUid: string, container: string): ContainerLog | undefined =>
    jobPods.get(podUid)?.logs.get(container);
  const notify = (log: ContainerLog) => {
    for (const listener of log.listeners) listener();
  };

  function setCondition(job: Obj, type: string, reason: string, message: string): void {
    const now = new Date().toISOString();
    job.status.conditions = [
      ...(job.status.conditions ?? []),
      { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now },
    ];
  }

  function finishJob(job: Obj, pod: Obj | undefined, failure?: { reason: string; message: string }): void {
    if (job.status.conditions?.some((c: Obj) => c.type === 'Complete' || c.type === 'Failed')) return;
    job.status.active = 0;
    job.metadata.resourceVersion = String(++resourceVersion);
    if (failure) {
      job.status.failed = 1;
      setCondition(job, 'FailureTarget', failure.reason, failure.message);
      setCondition(job, 'Failed', failure.reason, failure.message);
    } else {
      job.status.succeeded = 1;
      job.status.completionTime = new Date().toISOString();
      setCondition(
        job,
        'SuccessCriteriaMet',
        'CompletionsReached',
        'Reached expected number of succeeded pods',
      );
      setCondition(job, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
    }
    if (pod) pod.status.phase = failure ? 'Failed' : 'Succeeded';
  }

  /** Creates the pod of a started Job and hands it to the runner; enforces activeDeadlineSeconds. */
  function startJob(job: Obj): void {
    const ns = job.metadata.namespace as string;
    const template = job.spec.template;
    const name = `${job.metadata.name}-${randomUUID().slice(0, 5)}`;
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        labels: {
          ...(template.metadata?.labels ?? {}),
          'job-name': job.metadata.name,
          'batch.kubernetes.io/job-name': job.metadata.name,
          'controller-uid': job.metadata.uid,
          'batch.kubernetes.io/controller-uid': job.metadata.uid,
        },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid: job.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: structuredClone(template.spec),
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
    };
    const all = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])] as Obj[];
    const isInit = (c: string) => (pod.spec.initContainers ?? []).some((i: Obj) => i.name === c);
    const waiting = (c: Obj, reason: string) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason } },
    });
    pod.status.initContainerStatuses = (pod.spec.initContainers ?? []).map((c: Obj) =>
      waiting(c, 'PodInitializing'),
    );
    pod.status.containerStatuses = (pod.spec.containers ?? []).map((c: Obj) => waiting(c, 'PodInitializing'));
    store.set(key('', 'pods', ns, name), pod);
    const abort = new AbortController();
    const logs = new Map<string, ContainerLog>(
      all.map((c) => [c.name as string, { lines: [], started: false, ended: false, listeners: new Set() }]),
    );
    jobPods.set(pod.metadata.uid, { logs, abort });
    job.status = { ...(job.status ?? {}), active: 1, startTime: new Date().toISOString() };
    const statusOf = (c: string): Obj =>
      [...pod.status.initContainerStatuses, ...pod.status.containerStatuses].find((s: Obj) => s.name === c);
    const endLogs = () => {
      for (const log of logs.values()) {
        log.ended = true;
        notify(log);
      }
    };
    const deadline = job.spec.activeDeadlineSeconds as number | undefined;
    const timer =
      deadline !== undefined
        ? setTimeout(() => {
            abort.abort();
            finishJob(job, undefined, {
              reason: 'DeadlineExceeded',
              message: 'Job was active longer than specified deadline',
            });
            // The controller deletes the Job's running pods.
            store.delete(key('', 'pods', ns, name));
            endLogs();
          }, deadline * 1000)
        : undefined;
    const run: JobPodRun = {
      namespace: ns,
      pod: structuredClone(pod),
      job: structuredClone(job),
      secret(secretName) {
        const secret = store.get(key('', 'secrets', ns, secretName));
        if (!secret) return undefined;
        return Object.fromEntries(
          Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [
            k,
            Buffer.from(v, 'base64'),
          ]),
        );
      },
      started(c) {
        pod.status.phase = isInit(c) ? 'Pending' : 'Running';
        if (!isInit(c)) pod.status.podIP = '10.244.0.20';
        statusOf(c).state = { running: { startedAt: new Date().toISOString() } };
        const log = logs.get(c)!;
        log.started = true;
        notify(log);
      },
      log(c, line) {
        const log = logs.get(c)!;
        log.lines.push(line);
        notify(log);
      },
      exited(c, result) {
        const container = all.find((x) => x.name === c)!;
        const log = logs.get(c)!;
        let message = result.message ?? '';
        // terminationMessagePolicy FallbackToLogsOnError: a failed container's last lines (≤ 80, 2 KiB).
        if (
          !message &&
          result.exitCode !== 0 &&
          container.terminationMessagePolicy === 'FallbackToLogsOnError'
        )
          message = log.lines.slice(-80).join('\n').slice(-2048);
        statusOf(c).state = {
          terminated: {
            exitCode: result.exitCode,
            reason: result.exitCode === 0 ? 'Completed' : 'Error',
            ...(message ? { message } : {}),
            finishedAt: new Date().toISOString(),
          },
        };
        log.ended = true;
        notify(log);
      },
      signal: abort.signal,
    };
    const runner = options.jobRunner;
    if (!runner) return;
    void runner(run)
      .catch((err: unknown) => {
        for (const c of all) {
          const state = statusOf(c.name).state;
          if (!state.terminated) {
            run.log(c.name, `runner error: ${String(err)}`);
            run.exited(c.name, { exitCode: 128 });
            break;
          }
        }
      })
      .finally(() => {
        clearTimeout(timer);
        endLogs();
        if (abort.signal.aborted) return;
        const failed = all.find((c) => statusOf(c.name).state.terminated?.exitCode !== 0);
        finishJob(
          job,
          pod,
          failed
            ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
            : undefined,
        );
      });
  }

  /** The Job controller's pass: a Job that is not suspended and has no pod gets one. */
  function reconcileJobs(): void {
    for (const job of all('batch', 'jobs')) {
      job.status = job.status ?? {};
      if (job.spec.suspend === true || job.status.startTime) continue;
      startJob(job);
    }
  }

  /** The garbage collector: objects whose owner is gone go too (`propagationPolicy` Background/Foreground). */
  function collectGarbage(uid: string): void {
    for (const [k, object] of [...store.entries()]) {
      if (!(object.metadata?.ownerReferences ?? []).some((r: Obj) => r.uid === uid)) continue;
      store.delete(k);
      const run = jobPods.get(object.metadata.uid);
      if (run) {
        run.abort.abort();
        for (const log of run.logs.values()) {
          log.ended = true;
          notify(log);
        }
      }
      collectGarbage(object.metadata.uid);
    }
  }

  const isReady = (pod: Obj) =>
    pod.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') === true;

  /** One controller pass; runs before every request, so each client poll moves the world on a step. */
  function reconcile(): void {
    reconcileJobs();
    for (const pod of all('', 'pods')) {
      if (jobPods.has(pod.metadata.uid)) continue;
      const polls = (podPolls.get(pod.metadata.uid) ?? 0) + 1;
      podPolls.set(pod.metadata.uid, polls);
      podStatus(pod, polls);
    }
    for (const plural of ['deployments', 'replicasets']) {
      for (const workload of all('apps', plural)) {
        // Deployment-owned ReplicaSets are not modelled; Deployments own their pods directly here.
        const ns = workload.metadata.namespace as string;
        const desired: number = workload.spec.replicas ?? 1;
        const template = workload.spec.template;
        const hash = hashTemplate(template);
        const owned = all('', 'pods', ns).filter(
          (p) => p.metadata.ownerReferences?.[0]?.uid === workload.metadata.uid,
        );
        const current =
          plural === 'deployments'
            ? owned.filter((p) => p.metadata.labels['pod-template-hash'] === hash)
            : owned;
        for (let i = current.length; i < desired; i++) {
          const name = `${workload.metadata.name}-${hash.slice(0, 5)}-${randomUUID().slice(0, 5)}`;
          const pod: Obj = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name,
              namespace: ns,
              uid: randomUUID(),
              labels: { ...template.metadata.labels, 'pod-template-hash': hash },
              annotations: { ...(template.metadata.annotations ?? {}) },
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: workload.kind,
                  name: workload.metadata.name,
                  uid: workload.metadata.uid,
                },
              ],
            },
            spec: structuredClone(template.spec),
          };
          podStatus(pod, 0);
          store.set(key('', 'pods', ns, name), pod);
          current.push(pod);
        }
        for (const extra of current.slice(desired)) store.delete(key('', 'pods', ns, extra.metadata.name));
        const currentPods = current.slice(0, desired);
        const readyCurrent = currentPods.filter(isReady).length;
        if (plural === 'deployments' && readyCurrent >= desired) {
          for (const old of owned.filter((p) => p.metadata.labels['pod-template-hash'] !== hash))
            store.delete(key('', 'pods', ns, old.metadata.name));
        }
        const remaining = all('', 'pods', ns).filter(
          (p) => p.metadata.ownerReferences?.[0]?.uid === workload.metadata.uid,
        );
        const ready = remaining.filter(isReady).length;
        workload.status = {
          observedGeneration: workload.metadata.generation,
          replicas: remaining.length,
          readyReplicas: ready,
          availableReplicas: ready,
          ...(plural === 'deployments'
            ? { updatedReplicas: currentPods.length }
            : { fullyLabeledReplicas: remaining.length }),
        };
      }
    }
  }

  function apply(
    resource: Resource,
    namespace: string,
    name: string,
    body: Obj,
  ): { code: number; object: Obj } {
    const k = key(resource.group, resource.plural, namespace, name);
    const existing = store.get(k);
    const object: Obj = structuredClone(body);
    object.metadata = { ...(object.metadata ?? {}), name, namespace };
    object.metadata.uid = existing?.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = existing?.metadata.creationTimestamp ?? new Date().toISOString();
    object.metadata.resourceVersion = String(++resourceVersion);
    object.metadata.managedFields = [
      { manager: 'ashapp', operation: 'Apply', apiVersion: object.apiVersion },
    ];
    const specChanged = JSON.stringify(existing?.spec) !== JSON.stringify(object.spec);
    object.metadata.generation = (existing?.metadata.generation ?? 0) + (specChanged || !existing ? 1 : 0);
    if (resource.kind === 'Service') {
      object.spec.clusterIP = existing?.spec.clusterIP ?? '10.96.0.42';
      if (object.spec.type === 'NodePort' || object.spec.type === 'LoadBalancer') {
        object.spec.ports.forEach((p: Obj, i: number) => {
          p.nodePort = p.nodePort ?? existing?.spec.ports?.[i]?.nodePort ?? nodePort++;
        });
      }
      object.status =
        object.spec.type === 'LoadBalancer'
          ? { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } }
          : { loadBalancer: {} };
    } else {
      object.status = existing?.status ?? {};
    }
    store.set(k, object);
    return { code: existing ? 200 : 201, object };
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** A Job pod's container log as the kubelet serves it: the lines so far, and with `follow=true` the rest as they come. */
  function serveJobPodLog(pod: Obj, url: URL, res: ServerResponse): void {
    const names = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].map(
      (c: Obj) => c.name,
    );
    const container = url.searchParams.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (!container) {
      return status(
        res,
        400,
        'BadRequest',
        `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
      );
    }
    const log = containerLog(pod.metadata.uid, container);
    if (!log)
      return status(
        res,
        400,
        'BadRequest',
        `container ${container} is not valid for pod ${pod.metadata.name}`,
      );
    if (!log.started) {
      return status(
        res,
        400,
        'BadRequest',
        `container "${container}" in pod "${pod.metadata.name}" is waiting to start: PodInitializing`,
      );
    }
    const tail = Number(url.searchParams.get('tailLines') ?? 0);
    let sent = tail > 0 ? Math.max(0, log.lines.length - tail) : 0;
    res.writeHead(200, { 'content-type': 'text/plain' });
    const flush = () => {
      while (sent < log.lines.length) res.write(`${log.lines[sent++]}\n`);
    };
    flush();
    if (url.searchParams.get('follow') !== 'true' || log.ended) return void res.end();
    const listener = () => {
      flush();
      if (log.ended) {
        log.listeners.delete(listener);
        res.end();
      }
    };
    log.listeners.add(listener);
    res.once('close', () => log.listeners.delete(listener));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
    });
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return status(res, 401, 'Unauthorized', 'Unauthorized');

    // Discovery: client-node's KubernetesObjectApi looks up the plural and scope of a kind here.
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(url.pathname);
    if (discovery && req.method === 'GET') {
      const group = discovery[2] ?? '';
      const version = discovery[1] ?? discovery[3] ?? '';
      const list = resources.filter((r) => r.group === group && r.version === version);
      if (list.length === 0)
        return status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources: list.map((r) => ({
          name: r.plural,
          singularName: r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        })),
      });
    }

    // The pod log subresource (text/plain): a crashing pod's previous run ends with a Python traceback.
    const podLog = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (podLog && req.method === 'GET') {
      const pod = store.get(key('', 'pods', podLog[1]!, podLog[2]!));
      if (!pod) return status(res, 404, 'NotFound', `pods "${podLog[2]}" not found`);
      if (jobPods.has(pod.metadata.uid)) return serveJobPodLog(pod, url, res);
      const crashed = behaviour(pod.spec.containers[0].image) === 'crash';
      if (crashed && url.searchParams.get('previous') !== 'true')
        return status(res, 400, 'BadRequest', 'container "app" in pod is waiting to start: CrashLoopBackOff');
      const lines = crashed
        ? [
            '[2026-11-26 10:00:00 +0000] [7] [ERROR] Exception in worker process',
            'Traceback (most recent call last):',
            '  File "/app/app.py", line 1, in <module>',
            '    import missing_module',
            "ModuleNotFoundError: No module named 'missing_module'",
            '[2026-11-26 10:00:01 +0000] [1] [INFO] Reason: Worker failed to boot.',
          ]
        : ['[2026-11-26 10:00:00 +0000] [1] [INFO] Listening at: http://0.0.0.0:5000 (1)'];
      const tail = Number(url.searchParams.get('tailLines') ?? 0);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`${(tail > 0 ? lines.slice(-tail) : lines).join('\n')}\n`);
    }

    const match =
      /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
    const resource = match
      ? resources.find((r) => r.group === (match[1] ?? '') && r.plural === match[4])
      : undefined;
    if (!match || !resource)
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const namespace = match[3] ?? '';
    const name = match[5];
    reconcile();

    const contentType = req.headers['content-type'] ?? '';
    if (
      req.method === 'PATCH' &&
      name &&
      (contentType.startsWith('application/json-patch+json') ||
        contentType.startsWith('application/merge-patch+json'))
    ) {
      const object = store.get(key(resource.group, resource.plural, namespace, name));
      if (!object)
        return status(res, 404, 'NotFound', `${resource.plural}.${resource.group} "${name}" not found`);
      const body = JSON.parse(await readBody(req)) as unknown;
      if (contentType.startsWith('application/json-patch+json')) {
        for (const op of body as Array<{ op: string; path: string; value?: unknown }>) {
          const parts = op.path.split('/').slice(1);
          const last = parts.pop()!;
          const parent = parts.reduce<Obj>((o, k) => (o[k] ??= {}), object);
          if (op.op === 'replace' || op.op === 'add') parent[last] = op.value;
          else if (op.op === 'remove') delete parent[last];
          else return status(res, 422, 'Invalid', `unsupported JSON patch operation ${op.op}`);
        }
      } else {
        const merge = (target: Obj, patch: Obj) => {
          for (const [k, v] of Object.entries(patch)) {
            if (v === null) delete target[k];
            else if (v && typeof v === 'object' && !Array.isArray(v)) merge((target[k] ??= {}), v as Obj);
            else target[k] = v;
          }
        };
        merge(object, body as Obj);
      }
      object.metadata.resourceVersion = String(++resourceVersion);
      reconcile();
      return send(res, 200, object);
    }
    if (req.method === 'POST' && !name) {
      if (resource.namespaced && !store.has(key('', 'namespaces', '', namespace)))
        return status(res, 404, 'NotFound', `namespaces "${namespace}" not found`);
      const body = JSON.parse(await readBody(req)) as Obj;
      const objectName = body.metadata?.name as string | undefined;
      if (body.kind !== resource.kind || !objectName)
        return status(
          res,
          400,
          'BadRequest',
          'the kind or name of the object is missing or does not match the URL',
        );
      const k = key(resource.group, resource.plural, namespace, objectName);
      if (store.has(k))
        return status(
          res,
          409,
          'AlreadyExists',
          `${resource.plural}${resource.group ? `.${resource.group}` : ''} "${objectName}" already exists`,
        );
      if (resource.kind === 'Secret') {
        // The API server's validation: data (decoded) and stringData together at most 1 MiB.
        const bytes =
          Object.values((body.data ?? {}) as Record<string, string>).reduce(
            (n, v) => n + Buffer.from(v, 'base64').length,
            0,
          ) +
          Object.values((body.stringData ?? {}) as Record<string, string>).reduce(
            (n, v) => n + Buffer.byteLength(v),
            0,
          );
        if (bytes > 1024 * 1024)
          return status(
            res,
            422,
            'Invalid',
            `Secret "${objectName}" is invalid: data: Too long: must have at most 1048576 bytes`,
          );
      }
      const object = structuredClone(body);
      object.metadata = {
        ...object.metadata,
        namespace: resource.namespaced ? namespace : undefined,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        resourceVersion: String(++resourceVersion),
        generation: 1,
      };
      if (resource.kind === 'Job') {
        object.status = {};
        const labels = {
          'batch.kubernetes.io/controller-uid': object.metadata.uid,
          'batch.kubernetes.io/job-name': objectName,
        };
        object.spec.template.metadata = {
          ...(object.spec.template.metadata ?? {}),
          labels: {
            ...(object.spec.template.metadata?.labels ?? {}),
            ...labels,
            'controller-uid': object.metadata.uid,
            'job-name': objectName,
          },
        };
        object.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': object.metadata.uid } };
      }
      store.set(k, object);
      reconcile();
      return send(res, 201, object);
    }
    if (req.method === 'PATCH' && name) {
      const body = await readBody(req);
      if (!(req.headers['content-type'] ?? '').startsWith('application/apply-patch+yaml')) {
        return status(
          res,
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml`,
        );
      }
      if (!url.searchParams.get('fieldManager'))
        return status(res, 400, 'BadRequest', 'fieldManager is required for apply requests');
      if (resource.namespaced && !store.has(key('', 'namespaces', '', namespace)))
        return status(res, 404, 'NotFound', `namespaces "${namespace}" not found`);
      const parsed = parse(body) as Obj;
      if (parsed?.kind !== resource.kind || parsed?.metadata?.name !== name)
        return status(res, 400, 'BadRequest', 'the name or kind of the object does not match the URL');
      const { code, object } = apply(resource, namespace, name, parsed);
      reconcile();
      return send(res, code, object);
    }
    if (req.method === 'GET' && name) {
      const object = store.get(key(resource.group, resource.plural, namespace, name));
      if (!object) return status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`);
      return send(res, 200, object);
    }
    if (req.method === 'GET') {
      const items = all(resource.group, resource.plural, resource.namespaced ? namespace : '')
        .filter((o) => matchesLabels(o.metadata.labels, url.searchParams.get('labelSelector') ?? undefined))
        .filter((o) => matchesFields(o, url.searchParams.get('fieldSelector') ?? undefined));
      const limit = Number(url.searchParams.get('limit') ?? 0);
      return send(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: resource.group ? `${resource.group}/${resource.version}` : 'v1',
        metadata: { resourceVersion: String(resourceVersion) },
        items: limit > 0 ? items.slice(0, limit) : items,
      });
    }
    if (req.method === 'DELETE' && name) {
      const k = key(resource.group, resource.plural, namespace, name);
      const object = store.get(k);
      if (!object) return status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`);
      store.delete(k);
      // Orphan leaves dependents behind; Background and Foreground (as seen from a client) remove them.
      if (url.searchParams.get('propagationPolicy') !== 'Orphan') {
        for (const pod of all('', 'pods', namespace)) {
          if (
            pod.metadata.ownerReferences?.[0]?.uid === object.metadata.uid &&
            !jobPods.has(pod.metadata.uid)
          )
            store.delete(key('', 'pods', namespace, pod.metadata.name));
        }
        collectGarbage(object.metadata.uid);
      }
      const run = jobPods.get(object.metadata.uid);
      if (run) {
        run.abort.abort();
        for (const log of run.logs.values()) {
          log.ended = true;
          notify(log);
        }
      }
      return send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, kind: resource.plural, uid: object.metadata.uid },
      });
    }
    return status(
      res,
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => status(res, 500, 'InternalError', String(err)));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get: (group, plural, namespace, name) => store.get(key(group, plural, namespace, name)),
    list: (group, plural, namespace) => all(group, plural, namespace),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
