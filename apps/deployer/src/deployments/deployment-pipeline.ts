import { recoverRun } from './pipeline/recover-run.ts';
import { runDeployment } from './pipeline/run-deployment.ts';
import type { DeploymentPipeline, PipelineDeps } from './pipeline/pipeline-types.ts';

export { readImageName } from './pipeline/image-name.ts';
export {
  formatStrategy,
  isKubernetesTarget,
  parseStrategy,
  type DeploymentPipeline,
  type DeploymentPlan,
  type PipelineConfig,
  type PipelineDeps,
  type SourcePlan,
  type StrategyPlan,
  type WorkloadSettings,
} from './pipeline/pipeline-types.ts';

/**
 * The deployment state machine, one pipeline per record (stages and strategies in `./pipeline/`). A failure
 * once the target was touched goes through Rollback (the previous live revision's exact manifest
 * re-applied, or everything removed when there was none) to RolledBack; a failure before that is Failed.
 */
export function createDeploymentPipeline(deps: PipelineDeps): DeploymentPipeline {
  return {
    run: (plan, signal, releaseApp = () => undefined) => runDeployment(deps, plan, signal, releaseApp),
    recover: (row, signal) => recoverRun(deps, row, signal),
  };
}
