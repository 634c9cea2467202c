import type { DeployTarget } from '../targets/deploy-target.ts';
import type { DeploymentLeases } from './deployment-leases.ts';
import type { DeploymentRunner } from './deployment-runner.ts';
import type { DeploymentsRepository } from './deployments-repository.ts';
import type { DeploymentsServiceOptions } from './deployments-service.ts';
import type { TargetObserver } from './target-observer.ts';

/** What the deployments use cases share: their dependencies plus the lease keeping and the target view. */
export interface ServiceContext {
  options: DeploymentsServiceOptions;
  repository: DeploymentsRepository;
  runner: DeploymentRunner;
  target: DeployTarget;
  leases: DeploymentLeases;
  observer: TargetObserver;
  /** Runs a task for a record in the app's reserved slot, keeping the record's lease renewed until it settles. */
  startLeased(
    reservation: ReturnType<DeploymentRunner['reserve']>,
    id: string,
    task: (signal: AbortSignal, releaseApp: () => void) => Promise<void>,
  ): void;
}
