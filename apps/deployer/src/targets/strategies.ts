import {
  labelKeys,
  readWorkloadName,
  renderService,
  renderWorkload,
  type Colour,
  type ManifestSpec,
} from '../manifests/render-manifests.ts';
import type { FollowOptions, RolloutResult, WorkloadRef } from './deploy-target.ts';
import type { KubernetesTarget } from './kubernetes-target.ts';

/** A spec without a strategy (the strategy functions decide colour and track), with the app's owner. */
export type StrategySpec = Omit<ManifestSpec, 'strategy'> & { owner: string };

export type BlueGreenResult =
  | { ok: true; live: Colour; previous: Colour | undefined }
  | { ok: false; reason: string; message: string; live: Colour | undefined };

function workloadRef(spec: StrategySpec, name: string): WorkloadRef {
  return { appName: spec.appName, namespace: spec.namespace, owner: spec.owner, kind: spec.kind, name };
}

/** The colour the app's Service sends traffic to now, if it has one. */
export async function readLiveColour(
  target: KubernetesTarget,
  spec: Pick<StrategySpec, 'appName' | 'namespace' | 'owner'>,
): Promise<Colour | undefined> {
  const service = await target.readService(spec);
  const selector = (service?.spec as { selector?: Record<string, string> } | undefined)?.selector;
  const colour = selector?.[labelKeys.colour];
  return colour === 'blue' || colour === 'green' ? colour : undefined;
}

/**
 * Blue-green: the new version runs as the other colour next to the live one; only once it is healthy does
 * the Service's selector switch to it. The old colour keeps running, so switching back is instant.
 * On failure the Service is untouched and users never saw the new version.
 */
export async function deployBlueGreen(
  target: KubernetesTarget,
  spec: StrategySpec,
  follow: FollowOptions,
): Promise<BlueGreenResult> {
  const live = await readLiveColour(target, spec);
  const next: Colour = live === 'blue' ? 'green' : 'blue';
  const workload = renderWorkload({
    ...spec,
    strategy: { type: 'blue-green', colour: next, serviceColour: live ?? next },
  });
  await target.apply([workload], { namespace: spec.namespace, owner: spec.owner });
  const rollout = await target.followRollout(workloadRef(spec, workload.metadata.name), follow);
  if (!rollout.ok) return { ...rollout, live };
  await switchBlueGreen(target, spec, next);
  return { ok: true, live: next, previous: live };
}

/** Points the Service at one colour (the switch, and the instant rollback). */
export async function switchBlueGreen(
  target: KubernetesTarget,
  spec: StrategySpec,
  colour: Colour,
): Promise<void> {
  const service = renderService({ ...spec, strategy: { type: 'blue-green', colour, serviceColour: colour } });
  await target.applyService(service, spec.namespace, spec.owner);
}

/** Replicas the canary gets for a share of the total: at least one, fewer than all when possible. */
export function readCanaryReplicas(replicas: number, share: number): number {
  const wanted = Math.round(replicas * Math.min(Math.max(share, 0), 1));
  return Math.max(1, Math.min(wanted, Math.max(replicas - 1, 1)));
}

/**
 * Canary: the new version runs as `<app>-canary` with a share of the replicas, beside the stable
 * workload; the Service selects both tracks, so that share of traffic reaches the canary.
 */
export async function startCanary(
  target: KubernetesTarget,
  spec: StrategySpec,
  share: number,
  follow: FollowOptions,
): Promise<RolloutResult> {
  const canary = renderWorkload({
    ...spec,
    replicas: readCanaryReplicas(spec.replicas, share),
    strategy: { type: 'canary', track: 'canary' },
  });
  const service = renderService({ ...spec, strategy: { type: 'canary', track: 'canary' } });
  await target.apply([canary, service], { namespace: spec.namespace, owner: spec.owner });
  return target.followRollout(workloadRef(spec, canary.metadata.name), follow);
}

/** Promote: the stable workload takes the canary's version, then the canary goes. */
export async function promoteCanary(
  target: KubernetesTarget,
  spec: StrategySpec,
  follow: FollowOptions,
): Promise<RolloutResult> {
  const stable = renderWorkload({ ...spec, strategy: { type: 'canary', track: 'stable' } });
  await target.apply([stable], { namespace: spec.namespace, owner: spec.owner });
  const rollout = await target.followRollout(workloadRef(spec, stable.metadata.name), follow);
  if (rollout.ok)
    await target.deleteWorkload(
      workloadRef(spec, readWorkloadName(spec.appName, { type: 'canary', track: 'canary' })),
    );
  return rollout;
}

/** Abort: the canary goes; the stable workload never changed. */
export async function abortCanary(
  target: KubernetesTarget,
  spec: Pick<StrategySpec, 'appName' | 'namespace' | 'owner' | 'kind'>,
): Promise<void> {
  await target.deleteWorkload({
    appName: spec.appName,
    namespace: spec.namespace,
    owner: spec.owner,
    kind: spec.kind,
    name: readWorkloadName(spec.appName, { type: 'canary', track: 'canary' }),
  });
}
