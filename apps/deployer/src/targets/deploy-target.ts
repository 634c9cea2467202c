import type { KubeObject } from '../manifests/render-manifests.ts';
import type { RegistryCredentials } from '../registry/auth-file.ts';

export interface AppRef {
  appName: string;
  namespace: string;
  /** The app's owner (user id): part of every derived name and stamped on every object (see resource-names.ts). */
  owner: string;
}

/**
 * What the target actually runs for an app: `running` (ready), `not-ready` (exists, not serving),
 * `missing` (nothing there: removed behind the deployer's back), `foreign` (the name is held by something
 * that is not this app's: another user's or not made by ASHapp).
 */
export type TargetStatus = 'running' | 'not-ready' | 'missing' | 'foreign';

export interface WorkloadRef extends AppRef {
  kind: 'Deployment' | 'ReplicaSet';
  /** Object name (differs from appName under blue-green and canary). */
  name: string;
}

export interface ApplyOptions {
  namespace: string;
  /** The app's owner: objects held by anyone else are never overwritten (NotAllowedError, nothing applied). */
  owner: string;
  /** Credentials for pulling the image, when the registry needs them. */
  registry?: { host: string; credentials: RegistryCredentials; insecure: boolean };
}

export interface ApplyResult {
  workload: WorkloadRef;
  /** One line per applied object, like `kubectl apply` prints (`deployment.apps/app configured`). */
  applied: string[];
}

export interface RolloutEvent {
  message: string;
  /** Kubernetes-style reason when there is one (ImagePullBackOff, CrashLoopBackOff, Unschedulable …). */
  reason?: string;
  readyReplicas?: number;
  desiredReplicas?: number;
}

export type RolloutResult =
  { ok: true; readyReplicas: number } | { ok: false; reason: string; message: string };

export interface FollowOptions {
  timeoutMs: number;
  onEvent?: (event: RolloutEvent) => void;
  signal?: AbortSignal;
}

/** Where deployments run: a Kubernetes cluster, or podman on this machine. */
export interface DeployTarget {
  readonly name: 'kubernetes' | 'podman';
  available(): Promise<boolean>;
  /** Applies the objects (create or update in place); Services and workloads of the app only. */
  apply(objects: readonly KubeObject[], options: ApplyOptions): Promise<ApplyResult>;
  /** Waits until the workload is ready, fails, or the timeout passes. */
  followRollout(workload: WorkloadRef, options: FollowOptions): Promise<RolloutResult>;
  /** The URL the app answers on, when it is known yet. */
  readUrl(app: AppRef): Promise<{ url: string; hint?: string } | undefined>;
  /** The app container's last output lines (stderr and stdout), for a failure to show its cause. */
  readLogs?(workload: WorkloadRef, tailLines: number): Promise<string[]>;
  /** Removes everything the app has on the target (never another owner's objects); a missing app is not an error. */
  delete(app: AppRef): Promise<void>;
  /** The app's real state on the target, read from the resources themselves (records can be stale). */
  readStatus(app: AppRef): Promise<TargetStatus>;
}

/** The Deployment/ReplicaSet among applied objects. */
export function findWorkload(objects: readonly KubeObject[]): KubeObject | undefined {
  return objects.find((o) => o.kind === 'Deployment' || o.kind === 'ReplicaSet');
}
