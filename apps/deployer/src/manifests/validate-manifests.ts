import {
  createManifestValidator as createKubeManifestValidator,
  type ManifestValidator,
} from '@ashapp/kube-schemas';

export type { ManifestProblem, ManifestValidator } from '@ashapp/kube-schemas';

/** What the deployer renders and applies; anything else in a manifest set is refused before it reaches a cluster. */
export const deployerKinds = [
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'v1/Service',
  'v1/Pod',
  'networking.k8s.io/v1/Ingress',
  'autoscaling/v2/HorizontalPodAutoscaler',
] as const;

/**
 * The deployer's manifests are validated the one way the platform validates manifests
 * (@ashapp/kube-schemas: Kubernetes OpenAPI schemas, strict fields, API server rules), limited to its kinds.
 */
export function createManifestValidator(): ManifestValidator {
  return createKubeManifestValidator({
    allowedKinds: deployerKinds,
    refusal: 'is not a kind the deployer applies',
  });
}
