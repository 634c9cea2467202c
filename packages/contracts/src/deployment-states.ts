// No imports on purpose: the web app imports these values, and this module must not pull TypeBox (or
// anything else) into the browser bundle.

/** The happy path of the original README's deployment state machine, in order. */
export const mainDeploymentStates = [
  'Initialized',
  'Validating',
  'Preparing',
  'Building',
  'Deploying',
  'Testing',
  'Monitoring',
  'Stable',
] as const;

/** What a failed deployment goes through after the stage it failed in. */
export const rollbackDeploymentStates = ['Rollback', 'RolledBack'] as const;

/** Every state a deployment record can be in: the main path, the rollback path, and Failed. */
export const deploymentStates = [...mainDeploymentStates, ...rollbackDeploymentStates, 'Failed'] as const;
export type DeploymentState = (typeof deploymentStates)[number];

/** Terminal states: the record no longer changes. */
export const finalDeploymentStates = [
  'Stable',
  'RolledBack',
  'Failed',
] as const satisfies readonly DeploymentState[];

/** Where the progress bar stands in each state (the `progress` of a `state` stream event). */
export const deploymentStateProgress: Readonly<Record<DeploymentState, number>> = Object.freeze({
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
