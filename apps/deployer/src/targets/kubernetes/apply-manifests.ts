import { InputError, type Logger } from '@ashapp/platform';
import { labelKeys, revisionAnnotation, type KubeObject } from '../../manifests/render-manifests.ts';
import type { ManifestValidator } from '../../manifests/validate-manifests.ts';
import type { ApplyOptions, ApplyResult } from '../deploy-target.ts';
import { stampOwnership, type AppIdentity } from '../resource-names.ts';
import { toSelector, type KubeApi } from './kube-api.ts';
import type { KubeObjects } from './kube-objects.ts';

interface Deps {
  api: KubeApi;
  objects: KubeObjects;
  validator: ManifestValidator;
  log: Logger;
}

/**
 * Stamps ownership, validates, checks every object may be written before writing any (a refused deploy
 * changes nothing), creates the namespace if needed and server-side applies each object.
 */
export async function applyManifests(
  deps: Deps,
  manifests: readonly KubeObject[],
  options: ApplyOptions,
): Promise<ApplyResult> {
  const workload = manifests.find((o) => o.kind === 'Deployment' || o.kind === 'ReplicaSet');
  if (!workload)
    throw new InputError('manifest: no Deployment or ReplicaSet to apply', { field: 'manifest' });
  const identity: AppIdentity = {
    owner: options.owner,
    namespace: options.namespace,
    appName: workload.metadata.labels?.[labelKeys.name] ?? workload.metadata.name,
  };
  const withNamespace = manifests.map((o) =>
    stampOwnership({ ...o, metadata: { ...o.metadata, namespace: options.namespace } }, identity),
  );
  deps.validator.assertValid(withNamespace);
  await deps.objects.assertMayWrite(withNamespace, identity);
  await deps.objects.ensureNamespace(options.namespace);
  const applied: string[] = [];
  for (const object of withNamespace) applied.push(await deps.objects.applyObject(object));
  if (workload.kind === 'ReplicaSet') await replaceOtherRevisionPods(deps, workload, options.namespace);
  deps.log.info({ namespace: options.namespace, applied }, 'manifests applied');
  return {
    workload: {
      appName: identity.appName,
      namespace: options.namespace,
      owner: options.owner,
      kind: workload.kind as 'Deployment' | 'ReplicaSet',
      name: workload.metadata.name,
    },
    applied,
  };
}

/**
 * A ReplicaSet never replaces running pods when its template changes; the other revisions' pods are deleted
 * so it recreates them from the new template (the rollout a Deployment would do).
 */
async function replaceOtherRevisionPods(deps: Deps, workload: KubeObject, namespace: string): Promise<void> {
  const spec = workload.spec as {
    template?: { metadata?: { annotations?: Record<string, string> } };
    selector?: { matchLabels?: Record<string, string> };
  };
  const revision = spec.template?.metadata?.annotations?.[revisionAnnotation];
  const pods = await deps.api.core.listNamespacedPod({
    namespace,
    labelSelector: toSelector(spec.selector?.matchLabels ?? {}),
  });
  for (const pod of pods.items) {
    if (pod.metadata?.annotations?.[revisionAnnotation] === revision) continue;
    await deps.objects.ignoreNotFound(
      deps.api.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace }),
    );
  }
}

/** The blue-green switch: the Service alone, unless another owner holds it. */
export async function applyAppService(
  deps: Deps,
  service: KubeObject,
  namespace: string,
  owner: string,
): Promise<void> {
  if (service.kind !== 'Service') throw new InputError('manifest: expected a Service', { field: 'manifest' });
  const identity: AppIdentity = {
    owner,
    namespace,
    appName: service.metadata.labels?.[labelKeys.name] ?? service.metadata.name,
  };
  const object = stampOwnership({ ...service, metadata: { ...service.metadata, namespace } }, identity);
  deps.validator.assertValid([object]);
  await deps.objects.assertMayWrite([object], identity);
  await deps.objects.applyObject(object);
}
