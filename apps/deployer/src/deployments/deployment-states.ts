import { ConflictError } from '@ashapp/platform';

/** The original README's deployment states, in order, plus the failure path. */
export const deploymentStates = [
  'Initialized',
  'Validating',
  'Preparing',
  'Building',
  'Deploying',
  'Testing',
  'Monitoring',
  'Stable',
  'Rollback',
  'RolledBack',
  'Failed',
] as const;
export type DeploymentState = (typeof deploymentStates)[number];

/** Where the progress bar stands in each state. */
export const stateProgress: Readonly<Record<DeploymentState, number>> = Object.freeze({
  Initialized: 0,
  Validating: 10,
  Preparing: 20,
  Building: 35,
  Deploying: 60,
  Testing: 80,
  Monitoring: 90,
  Stable: 100,
  Rollback: 90,
  RolledBack: 100,
  Failed: 100,
});

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
  return state === 'Stable' || state === 'RolledBack' || state === 'Failed';
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
