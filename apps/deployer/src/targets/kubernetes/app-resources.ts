import { UpstreamError } from '@ashapp/platform';
import type * as k8s from '@kubernetes/client-node';
import { labelKeys, readServiceName, type KubeObject } from '../../manifests/render-manifests.ts';
import type { AppRef, TargetStatus, WorkloadRef } from '../deploy-target.ts';
import { readOwnership } from '../resource-names.ts';
import { describeApiError, isNotFound, toSelector, type KubeApi, type LabelledMeta } from './kube-api.ts';
import type { KubeObjects } from './kube-objects.ts';

interface Deps {
  api: KubeApi;
  objects: KubeObjects;
}

const appSelector = (app: AppRef) =>
  toSelector({ [labelKeys.name]: app.appName, [labelKeys.managedBy]: 'ashapp' });
const isMine = (app: AppRef) => (o: { metadata?: k8s.V1ObjectMeta }) =>
  readOwnership(o.metadata as LabelledMeta, app).kind !== 'foreign';
/** ReplicaSets owned by a Deployment go with it; only stand-alone ones count as the app's workloads. */
const isStandalone = (rs: k8s.V1ReplicaSet) => !rs.metadata?.ownerReferences?.length;

export async function readAppService({ api }: Deps, app: AppRef): Promise<KubeObject | undefined> {
  try {
    return (await api.core.readNamespacedService({
      name: readServiceName(app.appName),
      namespace: app.namespace,
    })) as unknown as KubeObject;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new UpstreamError(`kubernetes: reading the Service failed: ${describeApiError(err)}`);
  }
}

/** A load balancer's address, else a node's with the node port, else the in-cluster name and a port-forward hint. */
export async function readAppUrl(
  deps: Deps,
  app: AppRef,
): Promise<{ url: string; hint?: string } | undefined> {
  const service = (await readAppService(deps, app)) as k8s.V1Service | undefined;
  if (!service) return undefined;
  const port = service.spec?.ports?.[0];
  const name = service.metadata?.name ?? readServiceName(app.appName);
  const inCluster = `http://${name}.${app.namespace}.svc.cluster.local:${port?.port ?? 80}/`;
  const hint = `kubectl port-forward -n ${app.namespace} svc/${name} 8080:${port?.port ?? 80}`;
  if (service.spec?.type === 'LoadBalancer') {
    const ingress = service.status?.loadBalancer?.ingress?.[0];
    const address = ingress?.hostname ?? ingress?.ip;
    if (address) return { url: `http://${address}:${port?.port ?? 80}/` };
  }
  if ((service.spec?.type === 'NodePort' || service.spec?.type === 'LoadBalancer') && port?.nodePort) {
    // Listing nodes needs a ClusterRole; without it the in-cluster URL below is still right.
    const nodes = await deps.api.core.listNode().catch(() => undefined);
    const addresses = nodes?.items.flatMap((n) => n.status?.addresses ?? []) ?? [];
    const node =
      addresses.find((a) => a.type === 'ExternalIP') ?? addresses.find((a) => a.type === 'InternalIP');
    if (node) return { url: `http://${node.address}:${port.nodePort}/` };
  }
  return { url: inCluster, hint };
}

export async function readAppLogs(deps: Deps, ref: WorkloadRef, tailLines: number): Promise<string[]> {
  const workload = await deps.objects.readWorkload(ref);
  if (!workload) return [];
  const pods = await deps.objects.listRevisionPods(workload, ref.namespace);
  // The pod that restarted most says why; a crashed container's own output is in its previous run.
  const restarts = (p: k8s.V1Pod) =>
    p.status?.containerStatuses?.find((c) => c.name === 'app')?.restartCount ?? 0;
  const pod = pods.sort((a, b) => restarts(b) - restarts(a))[0];
  if (!pod?.metadata?.name) return [];
  const text = await deps.api.core.readNamespacedPodLog({
    name: pod.metadata.name,
    namespace: ref.namespace,
    container: 'app',
    tailLines,
    ...(restarts(pod) > 0 ? { previous: true } : {}),
  });
  return String(text)
    .split('\n')
    .filter((l) => l.trim() !== '');
}

export async function deleteAppWorkload({ api, objects }: Deps, ref: WorkloadRef): Promise<void> {
  const header = {
    apiVersion: 'apps/v1',
    kind: ref.kind,
    metadata: { name: ref.name, namespace: ref.namespace },
  };
  const options = { name: ref.name, namespace: ref.namespace, propagationPolicy: 'Background' };
  await objects.deleteIfOwned(header, ref, () =>
    ref.kind === 'Deployment'
      ? api.apps.deleteNamespacedDeployment(options)
      : api.apps.deleteNamespacedReplicaSet(options),
  );
}

/** Everything of the app's that ASHapp made and nobody else owns: workloads, Service, Ingress, HPA. */
export async function deleteApp({ api, objects }: Deps, app: AppRef): Promise<void> {
  const namespace = app.namespace;
  const labelSelector = appSelector(app);
  const deployments = await api.apps.listNamespacedDeployment({ namespace, labelSelector });
  for (const d of deployments.items.filter(isMine(app))) {
    await objects.ignoreNotFound(
      api.apps.deleteNamespacedDeployment({
        name: d.metadata!.name!,
        namespace,
        propagationPolicy: 'Background',
      }),
    );
  }
  const replicaSets = await api.apps.listNamespacedReplicaSet({ namespace, labelSelector });
  for (const rs of replicaSets.items.filter(isStandalone).filter(isMine(app))) {
    await objects.ignoreNotFound(
      api.apps.deleteNamespacedReplicaSet({
        name: rs.metadata!.name!,
        namespace,
        propagationPolicy: 'Background',
      }),
    );
  }
  const service = readServiceName(app.appName);
  await objects.deleteIfOwned(
    { apiVersion: 'v1', kind: 'Service', metadata: { name: service, namespace } },
    app,
    () => api.core.deleteNamespacedService({ name: service, namespace }),
  );
  await objects.deleteIfOwned(
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: app.appName, namespace } },
    app,
    () => api.networking.deleteNamespacedIngress({ name: app.appName, namespace }),
  );
  await objects.deleteIfOwned(
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: app.appName, namespace },
    },
    app,
    () => api.autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: app.appName, namespace }),
  );
}

export async function readAppStatus({ api }: Deps, app: AppRef): Promise<TargetStatus> {
  const query = { namespace: app.namespace, labelSelector: appSelector(app) };
  const [deployments, replicaSets] = await Promise.all([
    api.apps.listNamespacedDeployment(query),
    api.apps.listNamespacedReplicaSet(query),
  ]).catch((err: unknown) => {
    throw new UpstreamError(`kubernetes: reading ${app.appName} failed: ${describeApiError(err)}`);
  });
  const workloads = [...deployments.items, ...replicaSets.items.filter(isStandalone)];
  const owned = workloads.filter(isMine(app));
  if (owned.length === 0) return workloads.length > 0 ? 'foreign' : 'missing';
  return owned.some((w) => (w.status?.readyReplicas ?? 0) > 0) ? 'running' : 'not-ready';
}
