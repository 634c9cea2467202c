import { Capabilities } from '@ashapp/contracts/deployer';
import { requireIdentity, type ServiceApp } from '@ashapp/platform';
import type { ImageBuilder } from '../build/image-builder.ts';
import type { DeployTarget } from '../targets/deploy-target.ts';

/**
 * What this deployer can do before the user starts: where it deploys, whether it can build, which strategies
 * it offers. The page disables what cannot work instead of failing in the Building stage.
 */
export function registerCapabilitiesRoutes(
  app: ServiceApp,
  deps: { builder: ImageBuilder | undefined; target: DeployTarget },
): void {
  app.get(
    '/deployer-api/capabilities',
    {
      schema: {
        summary: 'Where this deployer deploys, whether it can build, which strategies it offers',
        response: { 200: Capabilities },
      },
    },
    async (request) => {
      requireIdentity(request);
      const available = await deps.target.available().catch(() => false);
      const problems: string[] = [];
      if (!deps.builder) {
        problems.push(
          'No image builder is installed on the deployer (buildah, or a Docker daemon): deploys cannot build.',
        );
      }
      if (!available) {
        problems.push(
          deps.target.name === 'kubernetes'
            ? 'The Kubernetes API does not answer: deploys cannot be applied.'
            : 'podman does not answer on the deployer: deploys cannot run.',
        );
      }
      return {
        target: deps.target.name,
        target_available: available,
        builder: deps.builder?.name ?? null,
        // Blue-green and canary switch Services and ReplicaSets: only a cluster has them.
        strategies: deps.target.name === 'kubernetes' ? ['rolling', 'blue-green', 'canary'] : ['rolling'],
        can_deploy_source: Boolean(deps.builder) && available,
        problems,
        // Ingress and HPA are cluster objects: podman has neither, so a deploy there refuses them.
        ingress_autoscaling: deps.target.name === 'kubernetes',
        notes:
          deps.target.name === 'kubernetes'
            ? []
            : [
                'Ingress and autoscaling apply on a Kubernetes cluster only: Preview shows them, a deploy to this machine (podman) refuses them.',
              ],
      };
    },
  );
}
