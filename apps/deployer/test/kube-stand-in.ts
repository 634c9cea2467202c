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
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form API objects

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
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.set(`/namespaces//${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: randomUUID(), labels: {} } });
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

  const isReady = (pod: Obj) =>
    pod.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') === true;

  /** One controller pass; runs before every request, so each client poll moves the world on a step. */
  function reconcile(): void {
    for (const pod of all('', 'pods')) {
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
      for (const pod of all('', 'pods', namespace)) {
        if (pod.metadata.ownerReferences?.[0]?.uid === object.metadata.uid)
          store.delete(key('', 'pods', namespace, pod.metadata.name));
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
