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
  // Made on first use: the schemas and the Kubernetes client's models are large, and readiness needs
  // neither (issue 9: a podman deployer was held up ~2 s and ~80 MB by them at start-up).
  let validator: ManifestValidator | undefined;
  const load = () =>
    (validator ??= createKubeManifestValidator({
      allowedKinds: deployerKinds,
      refusal: 'is not a kind the deployer applies',
    }));
  return {
    validate: (objects) => load().validate(objects),
    assertValid: (objects) => load().assertValid(objects),
  };
}
