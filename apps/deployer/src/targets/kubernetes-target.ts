import * as k8s from '@kubernetes/client-node';
import { InputError, NotAllowedError, UpstreamError, type Logger } from '@ashapp/platform';
import {
  labelKeys,
  readServiceName,
  revisionAnnotation,
  type KubeObject,
} from '../manifests/render-manifests.ts';
import type { ManifestValidator } from '../manifests/validate-manifests.ts';
import type {
  AppRef,
  ApplyResult,
  DeployTarget,
  FollowOptions,
  RolloutEvent,
  RolloutResult,
  TargetStatus,
  WorkloadRef,
} from './deploy-target.ts';
import { readOwnership, stampOwnership, type AppIdentity } from './resource-names.ts';

export const fieldManager = 'ashapp';

/** Pod states that will not fix themselves: the rollout fails at once with this reason. */
const fatalWaitingReasons = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);
/** Seen once, ErrImagePull may be a registry hiccup; the kubelet turns a persistent one into ImagePullBackOff. */
const reasonsNeedingRepeat = new Set(['ErrImagePull']);

export interface KubernetesTarget extends DeployTarget {
  readonly name: 'kubernetes';
  /** The current Service of an app, if any (blue-green reads its live colour from it). */
  readService(app: AppRef): Promise<KubeObject | undefined>;
  /** Applies the Service alone (the blue-green switch), unless another owner holds it. */
  applyService(service: KubeObject, namespace: string, owner: string): Promise<void>;
  /** Deletes one workload object (a finished canary, an old colour). */
  deleteWorkload(workload: WorkloadRef): Promise<void>;
}

export interface KubernetesTargetOptions {
  log: Logger;
  /** Loaded by the caller: from KUBECONFIG, or in-cluster (`loadFromCluster`). */
  kubeConfig: k8s.KubeConfig;
  /** Checked before anything is applied. */
  validator: ManifestValidator;
  pollIntervalMs?: number;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

function describeApiError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let message = e.message ?? String(err);
  if (typeof e.body === 'string') {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? message;
    } catch {
      // keep the client's message
    }
  } else if (e.body && typeof e.body === 'object' && 'message' in e.body) {
    message = String((e.body as { message: unknown }).message);
  }
  return e.code ? `${e.code}: ${message}` : message;
}

function toSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * Deploys to a Kubernetes cluster through its API with @kubernetes/client-node: server-side apply
 * (field manager `ashapp`, forced so the deployer owns the fields it sets), then follows the rollout by
 * polling the workload's status, its pods and their Warning events until it is available, fails with a
 * pod-level reason, or times out.
 */
export function createKubernetesTarget(options: KubernetesTargetOptions): KubernetesTarget {
  const objects = k8s.KubernetesObjectApi.makeApiClient(options.kubeConfig);
  const apps = options.kubeConfig.makeApiClient(k8s.AppsV1Api);
  const core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const networking = options.kubeConfig.makeApiClient(k8s.NetworkingV1Api);
  const autoscaling = options.kubeConfig.makeApiClient(k8s.AutoscalingV2Api);
  const pollIntervalMs = options.pollIntervalMs ?? 2000;

  async function readWorkload(ref: WorkloadRef): Promise<k8s.V1Deployment | k8s.V1ReplicaSet | undefined> {
    try {
      return ref.kind === 'Deployment'
        ? await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace })
        : await apps.readNamespacedReplicaSet({ name: ref.name, namespace: ref.namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new UpstreamError(`kubernetes: reading ${ref.kind}/${ref.name} failed: ${describeApiError(err)}`);
    }
  }

  async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (err) {
      if (!isNotFound(err)) throw new UpstreamError(`kubernetes: delete failed: ${describeApiError(err)}`);
    }
  }

  /** The object as it is on the cluster, or undefined when there is none. */
  async function readExisting(object: KubeObject): Promise<KubeObject | undefined> {
    try {
      const header = {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata.name, namespace: object.metadata.namespace ?? '' },
      };
      return (await objects.read(header)) as unknown as KubeObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new UpstreamError(
        `kubernetes: reading ${object.kind}/${object.metadata.name} failed: ${describeApiError(err)}`,
      );
    }
  }

  /** Ownership is read from the objects themselves: nothing another user (or anyone but ASHapp) holds is overwritten. */
  async function assertMayWrite(objectsToWrite: readonly KubeObject[], identity: AppIdentity): Promise<void> {
    for (const object of objectsToWrite) {
      const existing = await readExisting(object);
      if (!existing) continue;
      const ownership = readOwnership(existing.metadata, identity);
      if (ownership.kind === 'foreign') {
        throw new NotAllowedError(
          `${object.kind}/${object.metadata.name} in ${identity.namespace} was not changed: ${ownership.reason}`,
        );
      }
    }
  }

  /** Deletes one object by name unless it is someone else's; a missing one is fine. */
  async function deleteIfOwned(
    object: KubeObject,
    identity: AppIdentity,
    remove: () => Promise<unknown>,
  ): Promise<void> {
    const existing = await readExisting(object);
    if (!existing || readOwnership(existing.metadata, identity).kind === 'foreign') return;
    await ignoreNotFound(remove());
  }

  /**
   * Creates the app's namespace when the cluster has none of that name (per-user namespaces appear on first
   * deploy); an existing namespace is never changed. Needs `create` on namespaces in the deployer's RBAC.
   */
  async function ensureNamespace(namespace: string): Promise<void> {
    try {
      await core.readNamespace({ name: namespace });
      return;
    } catch (err) {
      if (!isNotFound(err))
        throw new UpstreamError(
          `kubernetes: reading namespace ${namespace} failed: ${describeApiError(err)}`,
        );
    }
    await applyObject({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { [labelKeys.managedBy]: 'ashapp' } },
    });
    options.log.info({ namespace }, 'namespace created');
  }

  async function applyObject(object: KubeObject): Promise<string> {
    try {
      await objects.patch(
        object as k8s.KubernetesObject,
        undefined,
        undefined,
        fieldManager,
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
    } catch (err) {
      throw new UpstreamError(
        `kubernetes: applying ${object.kind}/${object.metadata.name} failed: ${describeApiError(err)}`,
      );
    }
    const group = object.apiVersion.includes('/') ? `.${object.apiVersion.split('/')[0]}` : '';
    return `${object.kind.toLowerCase()}${group}/${object.metadata.name} serverside-applied`;
  }

  return {
    name: 'kubernetes',

    async available() {
      try {
        await core.listNamespacedService({ namespace: 'default', limit: 1 });
        return true;
      } catch {
        return false;
      }
    },

    async apply(manifests, applyOptions): Promise<ApplyResult> {
      const workload = manifests.find((o) => o.kind === 'Deployment' || o.kind === 'ReplicaSet');
      if (!workload)
        throw new InputError('manifest: no Deployment or ReplicaSet to apply', { field: 'manifest' });
      const identity: AppIdentity = {
        owner: applyOptions.owner,
        namespace: applyOptions.namespace,
        appName: workload.metadata.labels?.[labelKeys.name] ?? workload.metadata.name,
      };
      const withNamespace = manifests.map((o) =>
        stampOwnership({ ...o, metadata: { ...o.metadata, namespace: applyOptions.namespace } }, identity),
      );
      options.validator.assertValid(withNamespace);
      // Every object is checked before any is written: a refused deploy changes nothing.
      await assertMayWrite(withNamespace, identity);
      await ensureNamespace(applyOptions.namespace);
      const applied: string[] = [];
      for (const object of withNamespace) applied.push(await applyObject(object));
      if (workload.kind === 'ReplicaSet') {
        // A ReplicaSet never replaces running pods when its template changes; delete the other revisions'
        // pods so it recreates them from the new template (the rollout a Deployment would do).
        const revision = (
          workload.spec as { template?: { metadata?: { annotations?: Record<string, string> } } }
        ).template?.metadata?.annotations?.[revisionAnnotation];
        const matchLabels =
          (workload.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ??
          {};
        const pods = await core.listNamespacedPod({
          namespace: applyOptions.namespace,
          labelSelector: toSelector(matchLabels),
        });
        for (const pod of pods.items) {
          if (pod.metadata?.annotations?.[revisionAnnotation] === revision) continue;
          await ignoreNotFound(
            core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: applyOptions.namespace }),
          );
        }
      }
      options.log.info({ namespace: applyOptions.namespace, applied }, 'manifests applied');
      return {
        workload: {
          appName: identity.appName,
          namespace: applyOptions.namespace,
          owner: applyOptions.owner,
          kind: workload.kind as 'Deployment' | 'ReplicaSet',
          name: workload.metadata.name,
        },
        applied,
      };
    },

    async followRollout(ref: WorkloadRef, follow: FollowOptions): Promise<RolloutResult> {
      const deadline = Date.now() + follow.timeoutMs;
      const emit = (event: RolloutEvent) => follow.onEvent?.(event);
      const seenEvents = new Set<string>();
      const seenReasons = new Map<string, number>();
      let lastProgress = '';
      for (;;) {
        if (follow.signal?.aborted)
          return { ok: false, reason: 'Aborted', message: 'rollout follow aborted' };
        const workload = await readWorkload(ref);
        if (!workload)
          return { ok: false, reason: 'NotFound', message: `${ref.kind}/${ref.name} does not exist` };
        const desired = workload.spec?.replicas ?? 1;
        const status = workload.status;
        const observed = (status?.observedGeneration ?? 0) >= (workload.metadata?.generation ?? 0);
        // Only pods of the revision being rolled out count: old ones may still be fine or failing.
        const revision = workload.spec?.template?.metadata?.annotations?.[revisionAnnotation];
        const selector = toSelector(workload.spec?.selector?.matchLabels ?? {});
        const pods = (
          await core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selector })
        ).items.filter(
          (p) => revision === undefined || p.metadata?.annotations?.[revisionAnnotation] === revision,
        );
        let updated: number;
        let available: number;
        let total: number;
        if (ref.kind === 'Deployment') {
          const deploymentStatus = status as k8s.V1DeploymentStatus | undefined;
          updated = deploymentStatus?.updatedReplicas ?? 0;
          available = deploymentStatus?.availableReplicas ?? 0;
          total = deploymentStatus?.replicas ?? 0;
        } else {
          // A ReplicaSet's status counts pods of any template; readiness of this revision's pods decides.
          updated = pods.length;
          available = pods.filter((p) =>
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          ).length;
          total = status?.replicas ?? 0;
        }
        const progress = `${updated}/${desired} updated, ${available} available`;
        if (progress !== lastProgress) {
          emit({
            message: `${ref.kind}/${ref.name}: ${progress}`,
            readyReplicas: available,
            desiredReplicas: desired,
          });
          lastProgress = progress;
        }
        if (observed && updated >= desired && available >= desired && total <= desired) {
          return { ok: true, readyReplicas: available };
        }
        if (ref.kind === 'Deployment') {
          const stalled = (status as k8s.V1DeploymentStatus | undefined)?.conditions?.find(
            (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
          );
          if (stalled)
            return {
              ok: false,
              reason: 'ProgressDeadlineExceeded',
              message: stalled.message ?? 'progress deadline exceeded',
            };
        }

        const podNames = new Set(pods.map((p) => p.metadata?.name ?? ''));
        for (const pod of pods) {
          const podName = pod.metadata?.name ?? '?';
          const unschedulable = pod.status?.conditions?.find(
            (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
          );
          if (unschedulable) {
            return {
              ok: false,
              reason: 'Unschedulable',
              message: `pod ${podName}: ${unschedulable.message ?? 'cannot be scheduled'}`,
            };
          }
          for (const container of [
            ...(pod.status?.initContainerStatuses ?? []),
            ...(pod.status?.containerStatuses ?? []),
          ]) {
            const waiting = container.state?.waiting;
            if (!waiting?.reason || !fatalWaitingReasons.has(waiting.reason)) continue;
            const key = `${podName}/${waiting.reason}`;
            const times = (seenReasons.get(key) ?? 0) + 1;
            seenReasons.set(key, times);
            emit({
              message: `pod ${podName}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
              reason: waiting.reason,
            });
            if (!reasonsNeedingRepeat.has(waiting.reason) || times >= 3) {
              return {
                ok: false,
                reason: waiting.reason,
                message: `pod ${podName}: ${waiting.message ?? waiting.reason}`,
              };
            }
          }
        }
        if (podNames.size > 0) {
          const events = await core.listNamespacedEvent({
            namespace: ref.namespace,
            fieldSelector: 'type=Warning',
          });
          for (const event of events.items) {
            const id =
              event.metadata?.uid ?? `${event.involvedObject?.name}/${event.reason}/${event.message}`;
            if (seenEvents.has(id) || !podNames.has(event.involvedObject?.name ?? '')) continue;
            seenEvents.add(id);
            emit({
              message: `pod ${event.involvedObject?.name}: ${event.reason}: ${event.message ?? ''}`,
              reason: event.reason,
            });
          }
        }
        if (Date.now() + pollIntervalMs > deadline) {
          return {
            ok: false,
            reason: 'Timeout',
            message: `not available within ${Math.round(follow.timeoutMs / 1000)} s (${progress})`,
          };
        }
        await new Promise((r) => setTimeout(r, pollIntervalMs));
      }
    },

    async readUrl(app) {
      const service = await core
        .readNamespacedService({ name: readServiceName(app.appName), namespace: app.namespace })
        .catch((err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw new UpstreamError(`kubernetes: reading the Service failed: ${describeApiError(err)}`);
        });
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
        const nodes = await core.listNode().catch(() => undefined);
        const addresses = nodes?.items.flatMap((n) => n.status?.addresses ?? []) ?? [];
        const node =
          addresses.find((a) => a.type === 'ExternalIP') ?? addresses.find((a) => a.type === 'InternalIP');
        if (node) return { url: `http://${node.address}:${port.nodePort}/` };
      }
      return { url: inCluster, hint };
    },

    async readService(app) {
      try {
        return (await core.readNamespacedService({
          name: readServiceName(app.appName),
          namespace: app.namespace,
        })) as unknown as KubeObject;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw new UpstreamError(`kubernetes: reading the Service failed: ${describeApiError(err)}`);
      }
    },

    async applyService(service, namespace, owner) {
      if (service.kind !== 'Service')
        throw new InputError('manifest: expected a Service', { field: 'manifest' });
      const identity: AppIdentity = {
        owner,
        namespace,
        appName: service.metadata.labels?.[labelKeys.name] ?? service.metadata.name,
      };
      const object = stampOwnership({ ...service, metadata: { ...service.metadata, namespace } }, identity);
      options.validator.assertValid([object]);
      await assertMayWrite([object], identity);
      await applyObject(object);
    },

    async readLogs(ref, tailLines) {
      const workload = await readWorkload(ref);
      if (!workload) return [];
      const revision = workload.spec?.template?.metadata?.annotations?.[revisionAnnotation];
      const selector = toSelector(workload.spec?.selector?.matchLabels ?? {});
      const pods = (
        await core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selector })
      ).items.filter(
        (p) => revision === undefined || p.metadata?.annotations?.[revisionAnnotation] === revision,
      );
      // The pod that restarted most says why; a crashed container's own output is in its previous run.
      const restarts = (p: k8s.V1Pod) =>
        p.status?.containerStatuses?.find((c) => c.name === 'app')?.restartCount ?? 0;
      const pod = pods.sort((a, b) => restarts(b) - restarts(a))[0];
      if (!pod?.metadata?.name) return [];
      const text = await core.readNamespacedPodLog({
        name: pod.metadata.name,
        namespace: ref.namespace,
        container: 'app',
        tailLines,
        ...(restarts(pod) > 0 ? { previous: true } : {}),
      });
      return String(text)
        .split('\n')
        .filter((l) => l.trim() !== '');
    },

    async deleteWorkload(ref) {
      const header = {
        apiVersion: 'apps/v1',
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      };
      await deleteIfOwned(header, ref, () =>
        ref.kind === 'Deployment'
          ? apps.deleteNamespacedDeployment({
              name: ref.name,
              namespace: ref.namespace,
              propagationPolicy: 'Background',
            })
          : apps.deleteNamespacedReplicaSet({
              name: ref.name,
              namespace: ref.namespace,
              propagationPolicy: 'Background',
            }),
      );
    },

    async delete(app) {
      const selector = toSelector({ [labelKeys.name]: app.appName, [labelKeys.managedBy]: 'ashapp' });
      const mine = (o: { metadata?: k8s.V1ObjectMeta }) =>
        readOwnership(
          o.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> },
          app,
        ).kind !== 'foreign';
      const deployments = await apps.listNamespacedDeployment({
        namespace: app.namespace,
        labelSelector: selector,
      });
      for (const d of deployments.items.filter(mine)) {
        await ignoreNotFound(
          apps.deleteNamespacedDeployment({
            name: d.metadata!.name!,
            namespace: app.namespace,
            propagationPolicy: 'Background',
          }),
        );
      }
      const replicaSets = await apps.listNamespacedReplicaSet({
        namespace: app.namespace,
        labelSelector: selector,
      });
      // ReplicaSets owned by a Deployment go with it; only stand-alone ones are deleted here.
      for (const rs of replicaSets.items.filter((r) => !r.metadata?.ownerReferences?.length).filter(mine)) {
        await ignoreNotFound(
          apps.deleteNamespacedReplicaSet({
            name: rs.metadata!.name!,
            namespace: app.namespace,
            propagationPolicy: 'Background',
          }),
        );
      }
      const ns = app.namespace;
      await deleteIfOwned(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: readServiceName(app.appName), namespace: ns },
        },
        app,
        () => core.deleteNamespacedService({ name: readServiceName(app.appName), namespace: ns }),
      );
      await deleteIfOwned(
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: app.appName, namespace: ns },
        },
        app,
        () => networking.deleteNamespacedIngress({ name: app.appName, namespace: ns }),
      );
      await deleteIfOwned(
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: app.appName, namespace: ns },
        },
        app,
        () => autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: app.appName, namespace: ns }),
      );
    },

    async readStatus(app): Promise<TargetStatus> {
      const selector = toSelector({ [labelKeys.name]: app.appName, [labelKeys.managedBy]: 'ashapp' });
      const [deployments, replicaSets] = await Promise.all([
        apps.listNamespacedDeployment({ namespace: app.namespace, labelSelector: selector }),
        apps.listNamespacedReplicaSet({ namespace: app.namespace, labelSelector: selector }),
      ]).catch((err: unknown) => {
        throw new UpstreamError(`kubernetes: reading ${app.appName} failed: ${describeApiError(err)}`);
      });
      const workloads = [
        ...deployments.items,
        ...replicaSets.items.filter((r) => !r.metadata?.ownerReferences?.length),
      ];
      const owned = workloads.filter(
        (w) =>
          readOwnership(
            w.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> },
            app,
          ).kind !== 'foreign',
      );
      if (owned.length === 0) return workloads.length > 0 ? 'foreign' : 'missing';
      return owned.some((w) => (w.status?.readyReplicas ?? 0) > 0) ? 'running' : 'not-ready';
    },
  };
}
