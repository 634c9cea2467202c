import type { AuditOutbox, Logger } from '@ashapp/platform';
import type { ImageBuilder } from '../../build/image-builder.ts';
import type { ManifestSpec } from '../../manifests/render-manifests.ts';
import type { ManifestValidator } from '../../manifests/validate-manifests.ts';
import type { PythonChecker } from '../../python-check/python-check.ts';
import type { RequestMeta } from '@ashapp/platform';
import type { RegistrySession } from '../../registry-logins/registry-logins-service.ts';
import type { GitSource } from '../../sources/git-source.ts';
import type { DeployTarget } from '../../targets/deploy-target.ts';
import type { KubernetesTarget } from '../../targets/kubernetes-target.ts';
import type { ServiceType, WorkloadKind } from '../../validation/inputs.ts';
import type { DeploymentEventBus } from '../deployment-events.ts';
import type { DeploymentRow, DeploymentsRepository } from '../deployments-repository.ts';
import type { HistoryRecorder } from '../history-recorder.ts';

export type SourcePlan =
  | { type: 'code'; code: string; requirements?: string }
  | { type: 'git'; repoUrl: string; ref: string; imageName?: string; tag?: string }
  /** A rollback: an earlier revision's exact image and manifest. */
  | { type: 'revision'; revision: number; image: string; manifest: string };

export type StrategyPlan = { type: 'rolling' } | { type: 'blue-green' } | { type: 'canary'; percent: number };

export interface WorkloadSettings {
  kind: WorkloadKind;
  replicas: number;
  serviceType: ServiceType;
  containerPort: number;
  /** Kubernetes target only (checked when the request is accepted). */
  ingress?: ManifestSpec['ingress'];
  hpa?: ManifestSpec['hpa'];
}

export interface DeploymentPlan {
  row: DeploymentRow;
  settings: WorkloadSettings;
  strategy: StrategyPlan;
  source: SourcePlan;
  /** Captured when the request was accepted: the pipeline outlives the request (and may outlive the session). */
  registry: RegistrySession | undefined;
  meta: RequestMeta & { requestId: string };
}

export interface PipelineConfig {
  baseImage: string;
  baseImageHasRuntime: boolean;
  insecureRegistries: readonly string[];
  workDir: string;
  rolloutTimeoutMs: number;
  buildTimeoutMs: number;
  stabilityWindowMs: number;
  kubernetesHttpCheck: boolean;
  /** Host advertised in podman URLs (DEPLOYER_PUBLIC_HOST); else the host the user reached the gateway by. */
  publicHost?: string | undefined;
}

export interface PipelineDeps {
  log: Logger;
  repository: DeploymentsRepository;
  bus: DeploymentEventBus;
  builder: ImageBuilder | undefined;
  target: DeployTarget;
  checker: PythonChecker;
  git: GitSource;
  validator: ManifestValidator;
  audit: AuditOutbox;
  history: HistoryRecorder;
  config: PipelineConfig;
}

export interface DeploymentPipeline {
  /** `releaseApp` is called once the target is no longer touched, so the next deploy of the app may start. */
  run(plan: DeploymentPlan, signal: AbortSignal, releaseApp?: () => void): Promise<void>;
  /**
   * Finishes a record whose replica stopped (restart, SIGKILL, lost node: its lease lapsed): Failed if
   * nothing changed, else rolled back.
   */
  recover(row: DeploymentRow, signal: AbortSignal): Promise<void>;
}

/** A step failed for a reason worth showing as is (rollout reasons, syntax errors, HTTP checks). */
export class StepError extends Error {}

export function isKubernetesTarget(target: DeployTarget): target is KubernetesTarget {
  return target.name === 'kubernetes' && 'applyService' in target;
}

/** Blue-green and canary need the Kubernetes target (checked when the request is accepted, too). */
export function requireKubernetesTarget(target: DeployTarget): KubernetesTarget {
  if (!isKubernetesTarget(target))
    throw new StepError(`this strategy needs the kubernetes target, not ${target.name}`);
  return target;
}

/** `rolling`, `blue-green`, `canary:20` as stored in the record. */
export function formatStrategy(strategy: StrategyPlan): string {
  return strategy.type === 'canary' ? `canary:${strategy.percent}` : strategy.type;
}

export function parseStrategy(text: string): StrategyPlan {
  if (text === 'blue-green') return { type: 'blue-green' };
  const canary = /^canary:(\d+)$/.exec(text);
  if (canary) return { type: 'canary', percent: Number(canary[1]) };
  return { type: 'rolling' };
}
