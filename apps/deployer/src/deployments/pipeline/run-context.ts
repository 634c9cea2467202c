import type { ApplyOptions, AppRef, FollowOptions, RolloutEvent } from '../../targets/deploy-target.ts';
import type { StrategySpec } from '../../targets/strategies.ts';
import { createDeploymentJournal, type DeploymentJournal } from '../deployment-journal.ts';
import type { DeploymentState } from '../deployment-states.ts';
import type { DeploymentRow } from '../deployments-repository.ts';
import { recordAudit } from './pipeline-audit.ts';
import type { DeploymentPlan, PipelineDeps } from './pipeline-types.ts';

/** Everything a stage of one deployment reads; stages return what they produce instead of setting it here. */
export interface RunContext {
  deps: PipelineDeps;
  plan: DeploymentPlan;
  journal: DeploymentJournal;
  signal: AbortSignal;
  /** The app as the target knows it; its owner is the app's, not the caller's (an admin acts on that app). */
  app: AppRef;
  /** The revision live before this deployment: what a failure returns to. */
  previousLive: number | null;
  /** The registry the target pulls from (the caller's sign-in, captured when the request was accepted). */
  pullRegistry: ApplyOptions['registry'];
  /** Moves the record to the next state (unless the deployer is stopping) and audits it. */
  step(state: DeploymentState, message?: string): Promise<void>;
  /** Rollout following that logs each event and stops with the pipeline. */
  follow(timeoutMs?: number): FollowOptions;
}

export function openJournal(
  deps: PipelineDeps,
  row: Pick<DeploymentRow, 'id' | 'state'>,
  lastSeq = 0,
): DeploymentJournal {
  return createDeploymentJournal({ row, repository: deps.repository, bus: deps.bus, log: deps.log, lastSeq });
}

export async function createRunContext(
  deps: PipelineDeps,
  plan: DeploymentPlan,
  signal: AbortSignal,
): Promise<RunContext> {
  const { row } = plan;
  const journal = openJournal(deps, row);
  const appRow = await deps.repository.getApp(row.namespace, row.app_name);
  const registry = plan.registry;
  return {
    deps,
    plan,
    journal,
    signal,
    app: { appName: row.app_name, namespace: row.namespace, owner: appRow?.user_id ?? row.user_id },
    previousLive: appRow?.live_revision ?? null,
    pullRegistry: registry
      ? { host: registry.registry, credentials: registry.credentials, insecure: registry.insecure }
      : undefined,
    async step(state, message) {
      signal.throwIfAborted();
      await journal.move(state, message);
      await recordAudit(deps, row, plan.meta, state, message);
    },
    follow: (timeoutMs = deps.config.rolloutTimeoutMs) => ({
      timeoutMs,
      signal,
      onEvent: (e: RolloutEvent) => journal.log(e.message),
    }),
  };
}

/** The workload as the strategies render it, for this deployment's image. */
export function readStrategySpec(ctx: RunContext, image: string): StrategySpec {
  const { row, settings } = ctx.plan;
  return {
    owner: ctx.app.owner,
    appName: row.app_name,
    namespace: row.namespace,
    image,
    kind: settings.kind,
    replicas: settings.replicas,
    serviceType: settings.serviceType,
    containerPort: settings.containerPort,
    revision: row.revision,
  };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
