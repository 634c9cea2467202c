import type * as k8s from '@kubernetes/client-node';
import type { FollowOptions, RolloutEvent, RolloutResult, WorkloadRef } from '../deploy-target.ts';
import type { KubeApi } from './kube-api.ts';
import type { KubeObjects } from './kube-objects.ts';

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

type Workload = k8s.V1Deployment | k8s.V1ReplicaSet;
type Failure = Extract<RolloutResult, { ok: false }>;

interface Progress {
  desired: number;
  updated: number;
  available: number;
  total: number;
  observed: boolean;
}

/** What has been reported already, so each pod reason and Warning event is emitted once per follow. */
interface FollowMemory {
  seenEvents: Set<string>;
  seenReasons: Map<string, number>;
  lastProgress: string;
}

const isReady = (pod: k8s.V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export function readProgress(ref: WorkloadRef, workload: Workload, pods: readonly k8s.V1Pod[]): Progress {
  const desired = workload.spec?.replicas ?? 1;
  const observed = (workload.status?.observedGeneration ?? 0) >= (workload.metadata?.generation ?? 0);
  if (ref.kind === 'Deployment') {
    const status = workload.status as k8s.V1DeploymentStatus | undefined;
    return {
      desired,
      observed,
      updated: status?.updatedReplicas ?? 0,
      available: status?.availableReplicas ?? 0,
      total: status?.replicas ?? 0,
    };
  }
  // A ReplicaSet's status counts pods of any template; readiness of this revision's pods decides.
  return {
    desired,
    observed,
    updated: pods.length,
    available: pods.filter(isReady).length,
    total: workload.status?.replicas ?? 0,
  };
}

function findStalledDeployment(ref: WorkloadRef, workload: Workload): Failure | undefined {
  if (ref.kind !== 'Deployment') return undefined;
  const stalled = (workload.status as k8s.V1DeploymentStatus | undefined)?.conditions?.find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  return stalled
    ? {
        ok: false,
        reason: 'ProgressDeadlineExceeded',
        message: stalled.message ?? 'progress deadline exceeded',
      }
    : undefined;
}

/** A pod that cannot be scheduled or a container waiting for a reason that will not fix itself. */
function findFatalPodState(
  pods: readonly k8s.V1Pod[],
  memory: FollowMemory,
  emit: (event: RolloutEvent) => void,
): Failure | undefined {
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
      const times = (memory.seenReasons.get(key) ?? 0) + 1;
      memory.seenReasons.set(key, times);
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
  return undefined;
}

async function reportWarningEvents(
  api: KubeApi,
  namespace: string,
  pods: readonly k8s.V1Pod[],
  memory: FollowMemory,
  emit: (event: RolloutEvent) => void,
): Promise<void> {
  const podNames = new Set(pods.map((p) => p.metadata?.name ?? ''));
  if (podNames.size === 0) return;
  const events = await api.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' });
  for (const event of events.items) {
    const id = event.metadata?.uid ?? `${event.involvedObject?.name}/${event.reason}/${event.message}`;
    if (memory.seenEvents.has(id) || !podNames.has(event.involvedObject?.name ?? '')) continue;
    memory.seenEvents.add(id);
    emit({
      message: `pod ${event.involvedObject?.name}: ${event.reason}: ${event.message ?? ''}`,
      reason: event.reason,
    });
  }
}

/**
 * Polls the workload, its current revision's pods and their Warning events until it is available, fails
 * with a pod-level reason, or times out.
 */
export async function followKubeRollout(
  deps: { api: KubeApi; objects: KubeObjects; pollIntervalMs: number },
  ref: WorkloadRef,
  follow: FollowOptions,
): Promise<RolloutResult> {
  const deadline = Date.now() + follow.timeoutMs;
  const emit = (event: RolloutEvent) => follow.onEvent?.(event);
  const memory: FollowMemory = { seenEvents: new Set(), seenReasons: new Map(), lastProgress: '' };
  for (;;) {
    if (follow.signal?.aborted) return { ok: false, reason: 'Aborted', message: 'rollout follow aborted' };
    const workload = await deps.objects.readWorkload(ref);
    if (!workload)
      return { ok: false, reason: 'NotFound', message: `${ref.kind}/${ref.name} does not exist` };
    const pods = await deps.objects.listRevisionPods(workload, ref.namespace);
    const p = readProgress(ref, workload, pods);
    const progress = `${p.updated}/${p.desired} updated, ${p.available} available`;
    if (progress !== memory.lastProgress) {
      emit({
        message: `${ref.kind}/${ref.name}: ${progress}`,
        readyReplicas: p.available,
        desiredReplicas: p.desired,
      });
      memory.lastProgress = progress;
    }
    if (p.observed && p.updated >= p.desired && p.available >= p.desired && p.total <= p.desired) {
      return { ok: true, readyReplicas: p.available };
    }
    const failure = findStalledDeployment(ref, workload) ?? findFatalPodState(pods, memory, emit);
    if (failure) return failure;
    await reportWarningEvents(deps.api, ref.namespace, pods, memory, emit);
    if (Date.now() + deps.pollIntervalMs > deadline) {
      return {
        ok: false,
        reason: 'Timeout',
        message: `not available within ${Math.round(follow.timeoutMs / 1000)} s (${progress})`,
      };
    }
    await new Promise((r) => setTimeout(r, deps.pollIntervalMs));
  }
}
