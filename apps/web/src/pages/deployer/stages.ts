import { mainDeploymentStates, rollbackDeploymentStates } from '@ashapp/contracts/deployment-states';

/** The deployment state machine of the original README (the deployer's contract), as lists the UI draws. */
export const MAIN_STAGES = mainDeploymentStates;
export const FAILURE_STAGES = rollbackDeploymentStates;

export type StageStatus = 'done' | 'active' | 'pending' | 'failed' | 'skipped';

export interface StageView {
  name: string;
  status: StageStatus;
}

/** `rolled_back`, `ROLLED-BACK` and `RolledBack` are one state. */
export function normaliseState(state: string): string {
  return state.toLowerCase().replace(/[^a-z]/g, '');
}

const mainIndex = (state: string) =>
  MAIN_STAGES.findIndex((stage) => normaliseState(stage) === normaliseState(state));

export function isFailureState(state: string): boolean {
  const key = normaliseState(state);
  return key === 'rollback' || key === 'rolledback' || key === 'failed' || key === 'rollingback';
}

export function isFinalState(state: string): boolean {
  const key = normaliseState(state);
  return key === 'stable' || key === 'rolledback' || key === 'failed';
}

/**
 * Draws the stages for the states seen so far (in arrival order). On failure the last stage reached is
 * marked failed, the rest of the happy path skipped, and Rollback/RolledBack appear.
 */
export function describeStages(seen: readonly string[]): StageView[] {
  const current = seen.at(-1);
  const reached = Math.max(-1, ...seen.map(mainIndex));
  if (current === undefined) return MAIN_STAGES.map((name) => ({ name, status: 'pending' }));

  if (!isFailureState(current)) {
    const index = mainIndex(current);
    const at = index >= 0 ? index : reached;
    return MAIN_STAGES.map((name, i) => ({
      name,
      status:
        i < at ? 'done' : i === at ? (normaliseState(name) === 'stable' ? 'done' : 'active') : 'pending',
    }));
  }

  const failedAt = Math.max(reached, 0);
  const key = normaliseState(current);
  const views: StageView[] = MAIN_STAGES.map((name, i) => ({
    name,
    status: i < failedAt ? 'done' : i === failedAt ? 'failed' : 'skipped',
  }));
  if (key === 'failed') return views;
  return [
    ...views,
    { name: 'Rollback', status: key === 'rolledback' ? 'done' : 'active' },
    { name: 'RolledBack', status: key === 'rolledback' ? 'done' : 'pending' },
  ];
}
