import { AppError, NotAllowedError } from '@ashapp/platform';
import { parseManifests } from '../../manifests/parse-manifests.ts';
import { readWorkloadName } from '../../manifests/render-manifests.ts';
import type { RegistrySession } from '../../registry-logins/registry-logins-service.ts';
import type { AppRef } from '../../targets/deploy-target.ts';
import { abortCanary } from '../../targets/strategies.ts';
import type { WorkloadKind } from '../../validation/inputs.ts';
import type { DeploymentJournal } from '../deployment-journal.ts';
import type { DeploymentRow } from '../deployments-repository.ts';
import { describeError, recordAudit } from './pipeline-audit.ts';
import { isKubernetesTarget, StepError, type PipelineDeps, type StrategyPlan } from './pipeline-types.ts';
import type { RunContext } from './run-context.ts';

export interface RollBackRequest {
  row: DeploymentRow;
  journal: DeploymentJournal;
  owner: string;
  previousLive: number | null;
  strategy: StrategyPlan;
  registry: RegistrySession | undefined;
  /** Follow the old revision's rollout (not when the deployer is stopping: then apply and go). */
  follow: boolean;
  signal?: AbortSignal | undefined;
}

/** Removes a failed canary, or the failed blue-green colour, beside re-applying the old revision. */
async function removeFailedStrategyParts(
  deps: PipelineDeps,
  request: RollBackRequest,
  app: AppRef,
): Promise<void> {
  const { target } = deps;
  if (request.strategy.type !== 'canary' || !isKubernetesTarget(target)) return;
  const kind =
    (JSON.parse(request.row.request) as { settings?: { kind?: WorkloadKind } }).settings?.kind ??
    'Deployment';
  request.journal.log('removing the canary; the stable workload keeps serving');
  await abortCanary(target, { ...app, kind });
}

/** Re-applies the revision that was live before, or removes everything when there was none. */
export async function rollBack(deps: PipelineDeps, request: RollBackRequest): Promise<void> {
  const { row, journal } = request;
  const { target, repository, config } = deps;
  const app: AppRef = { appName: row.app_name, namespace: row.namespace, owner: request.owner };
  const previous =
    request.previousLive !== null
      ? await repository.getRevision(row.namespace, row.app_name, request.previousLive)
      : undefined;
  await removeFailedStrategyParts(deps, request, app);
  if (!previous?.manifest) {
    journal.log('no earlier revision to return to: removing what this deployment applied');
    await target.delete(app);
    return;
  }
  journal.log(
    `re-applying revision ${previous.revision} (${previous.image ?? 'its image'}) with its exact manifest`,
  );
  const registry = request.registry;
  const applied = await target.apply(parseManifests(previous.manifest), {
    namespace: row.namespace,
    owner: request.owner,
    ...(registry
      ? {
          registry: {
            host: registry.registry,
            credentials: registry.credentials,
            insecure: registry.insecure,
          },
        }
      : {}),
  });
  for (const line of applied.applied) journal.log(line);
  if (request.strategy.type === 'blue-green' && isKubernetesTarget(target)) {
    // The colour that failed is not the one the Service selects again: remove it.
    const keep = applied.workload.name;
    for (const colour of ['blue', 'green'] as const) {
      const name = readWorkloadName(row.app_name, { type: 'blue-green', colour, serviceColour: colour });
      if (name !== keep) await target.deleteWorkload({ ...app, kind: applied.workload.kind, name });
    }
  }
  if (!request.follow) return;
  const rollout = await target.followRollout(applied.workload, {
    timeoutMs: config.rolloutTimeoutMs,
    onEvent: (e) => journal.log(e.message),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  if (!rollout.ok)
    throw new StepError(
      `revision ${previous.revision} did not come back: ${rollout.reason}: ${rollout.message}`,
    );
}

/** What a failed run had reached: whether the target was touched, and the image it was about. */
export interface RunProgress {
  touchedTarget: boolean;
  image: string | undefined;
  url: string | undefined;
}

/**
 * Ends a failed run: Failed when the target was never touched (or refused the write: a name held by
 * another owner wrote nothing, and a rollback must not touch what is not ours); otherwise Rollback, then
 * RolledBack, or Failed with both reasons when the rollback fails too.
 */
export async function finishFailedRun(
  ctx: RunContext,
  err: unknown,
  progress: RunProgress,
  releaseApp: () => void,
): Promise<void> {
  const { deps, journal, plan, signal } = ctx;
  const { row, meta, source } = plan;
  const message = describeError(err);
  if (!(err instanceof StepError || err instanceof AppError))
    deps.log.warn({ err, deploymentId: row.id }, 'deployment failed');
  journal.log(`error: ${message}`);
  if (!progress.touchedTarget || err instanceof NotAllowedError) {
    releaseApp();
    await journal.finish('Failed', { error: message, ...(progress.image ? { image: progress.image } : {}) });
    await recordAudit(deps, row, meta, 'Failed', message);
    return;
  }
  await journal.move('Rollback', message);
  await recordAudit(deps, row, meta, 'Rollback', message);
  try {
    await rollBack(deps, {
      owner: ctx.app.owner,
      row,
      journal,
      previousLive: ctx.previousLive,
      strategy: source.type === 'revision' ? { type: 'rolling' } : plan.strategy,
      registry: plan.registry,
      follow: !signal.aborted,
      signal: signal.aborted ? undefined : signal,
    });
    const back = ctx.previousLive !== null ? `rolled back to revision ${ctx.previousLive}` : 'removed';
    releaseApp();
    // After the first line: a failure may go on with the app's traceback and log lines.
    const [first, ...more] = message.split('\n');
    const error = [`${first} (${back})`, ...more].join('\n');
    await journal.finish('RolledBack', { error, image: progress.image ?? null, url: progress.url ?? null });
    await recordAudit(deps, row, meta, 'RolledBack', back);
  } catch (rollbackErr) {
    const reason = `${message}; the rollback failed too: ${describeError(rollbackErr)}`;
    journal.log(`error: ${describeError(rollbackErr)}`);
    releaseApp();
    await journal.finish('Failed', { error: reason });
    await recordAudit(deps, row, meta, 'Failed', reason);
  }
}
