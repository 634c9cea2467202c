import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '@ashapp/platform';
import type { KubeObject } from '../manifests/render-manifests.ts';
import type { ManifestValidator } from '../manifests/validate-manifests.ts';
import type { AppRef, DeployTarget, WorkloadRef } from './deploy-target.ts';
import { applyAppService, applyManifests } from './kubernetes/apply-manifests.ts';
import {
  deleteApp,
  deleteAppWorkload,
  readAppLogs,
  readAppService,
  readAppStatus,
  readAppUrl,
} from './kubernetes/app-resources.ts';
import { followKubeRollout } from './kubernetes/follow-rollout.ts';
import { createKubeApi } from './kubernetes/kube-api.ts';
import { createKubeObjects } from './kubernetes/kube-objects.ts';

export { fieldManager } from './kubernetes/kube-objects.ts';
export { loadKubeConfig } from './kubernetes/kube-api.ts';

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
  /** Loaded by the caller: from KUBECONFIG, or in-cluster (`loadKubeConfig`). */
  kubeConfig: k8s.KubeConfig;
  /** Checked before anything is applied. */
  validator: ManifestValidator;
  pollIntervalMs?: number;
}

/**
 * Deploys to a Kubernetes cluster through its API with @kubernetes/client-node: server-side apply
 * (field manager `ashapp`, forced so the deployer owns the fields it sets), then follows the rollout by
 * polling the workload's status, its pods and their Warning events until it is available, fails with a
 * pod-level reason, or times out. The pieces live in `./kubernetes/`.
 */
export function createKubernetesTarget(options: KubernetesTargetOptions): KubernetesTarget {
  const api = createKubeApi(options.kubeConfig);
  const objects = createKubeObjects(api, options.log);
  const deps = { api, objects, validator: options.validator, log: options.log };
  const pollIntervalMs = options.pollIntervalMs ?? 2000;

  return {
    name: 'kubernetes',
    async available() {
      try {
        await api.core.listNamespacedService({ namespace: 'default', limit: 1 });
        return true;
      } catch {
        return false;
      }
    },
    apply: (manifests, applyOptions) => applyManifests(deps, manifests, applyOptions),
    followRollout: (ref, follow) => followKubeRollout({ api, objects, pollIntervalMs }, ref, follow),
    readUrl: (app) => readAppUrl(deps, app),
    readService: (app) => readAppService(deps, app),
    applyService: (service, namespace, owner) => applyAppService(deps, service, namespace, owner),
    readLogs: (ref, tailLines) => readAppLogs(deps, ref, tailLines),
    deleteWorkload: (ref) => deleteAppWorkload(deps, ref),
    delete: (app) => deleteApp(deps, app),
    readStatus: (app) => readAppStatus(deps, app),
  };
}
