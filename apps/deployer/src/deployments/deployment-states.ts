import { finalDeploymentStates, type DeploymentState } from '@ashapp/contracts/deployment-states';
import { ConflictError } from '@ashapp/platform';

export {
  deploymentStates,
  deploymentStateProgress as stateProgress,
  type DeploymentState,
} from '@ashapp/contracts/deployment-states';

const forward: Readonly<Partial<Record<DeploymentState, DeploymentState>>> = {
  Initialized: 'Validating',
  Validating: 'Preparing',
  Preparing: 'Building',
  Building: 'Deploying',
  Deploying: 'Testing',
  Testing: 'Monitoring',
  Monitoring: 'Stable',
};

/** Terminal states: the record no longer changes. */
export function isFinalState(state: DeploymentState): boolean {
  return (finalDeploymentStates as readonly DeploymentState[]).includes(state);
}

/**
 * Whether a record may move from `from` to `to`: one step forward along the pipeline (a rollback deploy may
 * skip Building: its image exists), any running state to Rollback, Rollback to RolledBack or Failed (the
 * rollback itself failed), and Initialized … Building straight to Failed (nothing on the target was changed yet:
 * building an image changes no running app).
 */
export function canMove(from: DeploymentState, to: DeploymentState): boolean {
  if (isFinalState(from)) return false;
  if (forward[from] === to) return true;
  if (from === 'Preparing' && to === 'Deploying') return true;
  if (to === 'Rollback') return from !== 'Rollback';
  if (from === 'Rollback') return to === 'RolledBack' || to === 'Failed';
  if (to === 'Failed') return ['Initialized', 'Validating', 'Preparing', 'Building'].includes(from);
  return false;
}

export function assertCanMove(from: DeploymentState, to: DeploymentState): void {
  if (!canMove(from, to)) throw new ConflictError(`a deployment cannot move from ${from} to ${to}`);
}
