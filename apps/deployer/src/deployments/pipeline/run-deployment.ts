import { recordAudit } from './pipeline-audit.ts';
import { selectStrategy } from './deploy-strategies.ts';
import {
  buildRelease,
  prepareRelease,
  readReleaseImage,
  validateSource,
  type PreparedRelease,
} from './prepare-stages.ts';
import type { DeploymentPlan, PipelineDeps } from './pipeline-types.ts';
import { finishFailedRun, type RunProgress } from './roll-back.ts';
import { createRunContext, type RunContext } from './run-context.ts';
import { finishStable, monitorRelease, testRelease } from './verify-stages.ts';

/** One history entry per finished deploy or rollback (best effort: the recorder only warns). */
async function saveHistory(ctx: RunContext, progress: RunProgress): Promise<void> {
  const { row, source, meta } = ctx.plan;
  const query =
    source.type === 'revision'
      ? `rollback ${row.app_name} (${row.namespace}) to revision ${source.revision}`
      : `deploy ${row.app_name} (${row.namespace}) revision ${row.revision} from ${source.type === 'git' ? source.repoUrl : 'pasted code'}`;
  await ctx.deps.history.save({
    userId: row.user_id,
    requestId: meta.requestId,
    query,
    output: JSON.stringify({
      deployment_id: row.id,
      app_name: row.app_name,
      namespace: row.namespace,
      revision: row.revision,
      state: ctx.journal.state(),
      url: progress.url ?? null,
      image: progress.image ?? null,
    }),
  });
}

/**
 * The deployment state machine for one record: Initialized → Validating → Preparing → Building (build,
 * push) → Deploying (apply, follow the rollout) → Testing (HTTP check) → Monitoring (still ready after a
 * window) → Stable. Each stage is a function over the run's context and returns what it produced; `progress`
 * holds only what a failure needs to know (was the target touched, which image, which URL).
 */
export async function runDeployment(
  deps: PipelineDeps,
  plan: DeploymentPlan,
  signal: AbortSignal,
  releaseApp: () => void,
): Promise<void> {
  const ctx = await createRunContext(deps, plan, signal);
  const progress: RunProgress = { touchedTarget: false, image: undefined, url: undefined };
  let release: PreparedRelease | undefined;
  try {
    const checked = await validateSource(ctx);
    progress.image = readReleaseImage(ctx);
    release = await prepareRelease(ctx, checked, progress.image);
    await buildRelease(ctx, release);
    await ctx.step('Deploying', `${plan.strategy.type} deploy to ${deps.target.name}`);
    progress.touchedTarget = true;
    const deployed = await selectStrategy(ctx)(ctx, release);
    progress.url = await testRelease(ctx);
    await monitorRelease(ctx, release, deployed);
    progress.url = await finishStable(ctx, release, deployed, progress.url, releaseApp);
    await recordAudit(deps, plan.row, plan.meta, 'Stable', progress.url);
  } catch (err) {
    await finishFailedRun(ctx, err, progress, releaseApp);
  } finally {
    await release?.cleanup();
    await ctx.journal.flush();
  }
  await saveHistory(ctx, progress);
}
