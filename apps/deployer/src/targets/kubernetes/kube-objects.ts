import { NotAllowedError, UpstreamError, type Logger } from '@ashapp/platform';
import type * as k8s from '@kubernetes/client-node';
import { labelKeys, revisionAnnotation, type KubeObject } from '../../manifests/render-manifests.ts';
import type { WorkloadRef } from '../deploy-target.ts';
import { readOwnership, type AppIdentity } from '../resource-names.ts';
import { describeApiError, isNotFound, toSelector, type KubeApi } from './kube-api.ts';

export const fieldManager = 'ashapp';

/** Reads and writes single objects, never past another owner's. */
export interface KubeObjects {
  readWorkload(ref: WorkloadRef): Promise<k8s.V1Deployment | k8s.V1ReplicaSet | undefined>;
  /** The pods of the workload's current revision (old ones may still be fine or failing). */
  listRevisionPods(workload: k8s.V1Deployment | k8s.V1ReplicaSet, namespace: string): Promise<k8s.V1Pod[]>;
  ignoreNotFound(work: Promise<unknown>): Promise<void>;
  /** Ownership is read from the objects themselves: nothing another user (or anyone but ASHapp) holds is overwritten. */
  assertMayWrite(objects: readonly KubeObject[], identity: AppIdentity): Promise<void>;
  /** Deletes one object by name unless it is someone else's; a missing one is fine. */
  deleteIfOwned(object: KubeObject, identity: AppIdentity, remove: () => Promise<unknown>): Promise<void>;
  /**
   * Creates the app's namespace when the cluster has none of that name (per-user namespaces appear on first
   * deploy); an existing namespace is never changed. Needs `create` on namespaces in the deployer's RBAC.
   */
  ensureNamespace(namespace: string): Promise<void>;
  /** Server-side apply; answers kubectl's line for it (`deployment.apps/x serverside-applied`). */
  applyObject(object: KubeObject): Promise<string>;
}

export function createKubeObjects(api: KubeApi, log: Logger): KubeObjects {
  async function readExisting(object: KubeObject): Promise<KubeObject | undefined> {
    try {
      const header = {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata.name, namespace: object.metadata.namespace ?? '' },
      };
      return (await api.objects.read(header)) as unknown as KubeObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new UpstreamError(
        `kubernetes: reading ${object.kind}/${object.metadata.name} failed: ${describeApiError(err)}`,
      );
    }
  }

  async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (err) {
      if (!isNotFound(err)) throw new UpstreamError(`kubernetes: delete failed: ${describeApiError(err)}`);
    }
  }

  async function applyObject(object: KubeObject): Promise<string> {
    try {
      await api.objects.patch(
        object as k8s.KubernetesObject,
        undefined,
        undefined,
        fieldManager,
        true,
        api.client.PatchStrategy.ServerSideApply,
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
    async readWorkload(ref) {
      try {
        return ref.kind === 'Deployment'
          ? await api.apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace })
          : await api.apps.readNamespacedReplicaSet({ name: ref.name, namespace: ref.namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw new UpstreamError(
          `kubernetes: reading ${ref.kind}/${ref.name} failed: ${describeApiError(err)}`,
        );
      }
    },

    async listRevisionPods(workload, namespace) {
      const revision = workload.spec?.template?.metadata?.annotations?.[revisionAnnotation];
      const selector = toSelector(workload.spec?.selector?.matchLabels ?? {});
      const pods = await api.core.listNamespacedPod({ namespace, labelSelector: selector });
      return pods.items.filter(
        (p) => revision === undefined || p.metadata?.annotations?.[revisionAnnotation] === revision,
      );
    },

    ignoreNotFound,

    async assertMayWrite(objects, identity) {
      for (const object of objects) {
        const existing = await readExisting(object);
        if (!existing) continue;
        const ownership = readOwnership(existing.metadata, identity);
        if (ownership.kind === 'foreign') {
          throw new NotAllowedError(
            `${object.kind}/${object.metadata.name} in ${identity.namespace} was not changed: ${ownership.reason}`,
          );
        }
      }
    },

    async deleteIfOwned(object, identity, remove) {
      const existing = await readExisting(object);
      if (!existing || readOwnership(existing.metadata, identity).kind === 'foreign') return;
      await ignoreNotFound(remove());
    },

    async ensureNamespace(namespace) {
      try {
        await api.core.readNamespace({ name: namespace });
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
      log.info({ namespace }, 'namespace created');
    },

    applyObject,
  };
}
