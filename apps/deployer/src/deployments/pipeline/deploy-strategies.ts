import {
  readWorkloadName,
  renderService,
  renderWorkload,
  type Colour,
  type KubeObject,
} from '../../manifests/render-manifests.ts';
import type { WorkloadRef } from '../../targets/deploy-target.ts';
import { deployBlueGreen, promoteCanary, startCanary } from '../../targets/strategies.ts';
import { describeFailure, readFailureLogs } from '../failure-logs.ts';
import type { PreparedRelease } from './prepare-stages.ts';
import { requireKubernetesTarget, StepError, type StrategyPlan } from './pipeline-types.ts';
import { readStrategySpec, type RunContext } from './run-context.ts';

/** What a strategy leaves running: the workload to watch, and the objects recorded as this revision's. */
export interface DeployedRelease {
  workload: WorkloadRef;
  recorded: KubeObject[];
}

type Strategy = (ctx: RunContext, release: PreparedRelease) => Promise<DeployedRelease>;

/** Apply the objects and follow the rollout; a failed rollout reports the app's own last words. */
const deployRolling: Strategy = async (ctx, release) => {
  const { target, log } = ctx.deps;
  const applied = await target.apply(release.objects, {
    namespace: ctx.app.namespace,
    owner: ctx.app.owner,
    ...(ctx.pullRegistry ? { registry: ctx.pullRegistry } : {}),
  });
  for (const line of applied.applied) ctx.journal.log(line);
  const rollout = await target.followRollout(applied.workload, ctx.follow());
  if (!rollout.ok) {
    // The app's own output says why (a traceback at import); gunicorn's last words do not.
    const logs = await readFailureLogs(target, applied.workload, log);
    for (const line of logs?.tail ?? []) ctx.journal.log(`app: ${line}`);
    throw new StepError(describeFailure(`rollout failed: ${rollout.reason}: ${rollout.message}`, logs));
  }
  return { workload: applied.workload, recorded: release.objects };
};

/** The idle colour gets the new version; the Service switches once it is ready. */
const deployBlueGreenRelease: Strategy = async (ctx, release) => {
  const spec = readStrategySpec(ctx, release.image);
  const result = await deployBlueGreen(requireKubernetesTarget(ctx.deps.target), spec, ctx.follow());
  if (!result.ok) throw new StepError(`rollout failed: ${result.reason}: ${result.message}`);
  ctx.journal.log(
    `Service switched to ${result.live}${result.previous ? ` (${result.previous} kept for instant rollback)` : ''}`,
  );
  const colour: Colour = result.live;
  const strategy = { type: 'blue-green' as const, colour, serviceColour: colour };
  return {
    workload: { ...ctx.app, kind: spec.kind, name: readWorkloadName(spec.appName, strategy) },
    recorded: [renderWorkload({ ...spec, strategy }), renderService({ ...spec, strategy })],
  };
};

/** A canary workload beside the stable one; it is promoted after the monitoring window. */
function deployCanaryRelease(percent: number): Strategy {
  return async (ctx, release) => {
    const spec = readStrategySpec(ctx, release.image);
    ctx.journal.log(
      `canary with ${percent}% of ${spec.replicas} replicas${ctx.previousLive !== null ? ' beside the stable version' : ''}`,
    );
    const rollout = await startCanary(
      requireKubernetesTarget(ctx.deps.target),
      spec,
      percent / 100,
      ctx.follow(),
    );
    if (!rollout.ok) throw new StepError(`canary rollout failed: ${rollout.reason}: ${rollout.message}`);
    const stable = { type: 'canary' as const, track: 'stable' as const };
    return {
      workload: {
        ...ctx.app,
        kind: spec.kind,
        name: readWorkloadName(spec.appName, { type: 'canary', track: 'canary' }),
      },
      recorded: [renderWorkload({ ...spec, strategy: stable }), renderService({ ...spec, strategy: stable })],
    };
  };
}

/** A rollback re-applies its revision's exact objects whatever strategy made them. */
export function selectStrategy(ctx: RunContext): Strategy {
  const strategy: StrategyPlan =
    ctx.plan.source.type === 'revision' ? { type: 'rolling' } : ctx.plan.strategy;
  switch (strategy.type) {
    case 'rolling':
      return deployRolling;
    case 'blue-green':
      return deployBlueGreenRelease;
    case 'canary':
      return deployCanaryRelease(strategy.percent);
  }
}

/** After the monitoring window: a healthy canary takes every replica. */
export async function promoteIfCanary(ctx: RunContext, release: PreparedRelease): Promise<void> {
  if (ctx.plan.strategy.type !== 'canary' || ctx.plan.source.type === 'revision') return;
  ctx.journal.log('canary healthy: promoting it to every replica');
  const promoted = await promoteCanary(
    requireKubernetesTarget(ctx.deps.target),
    readStrategySpec(ctx, release.image),
    ctx.follow(),
  );
  if (!promoted.ok) throw new StepError(`promotion failed: ${promoted.reason}: ${promoted.message}`);
  ctx.journal.log('promoted; canary workload removed');
}
