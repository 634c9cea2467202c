import { AppError } from '@ashapp/platform';
import type { DeploymentState } from '../deployment-states.ts';
import type { DeploymentRow } from '../deployments-repository.ts';
import { StepError, type DeploymentPlan, type PipelineDeps } from './pipeline-types.ts';

/** Each state change is an audit event; an outbox failure is logged, never a failed deployment. */
export async function recordAudit(
  deps: Pick<PipelineDeps, 'audit' | 'log'>,
  row: DeploymentRow,
  meta: DeploymentPlan['meta'] | undefined,
  state: DeploymentState,
  message?: string,
): Promise<void> {
  try {
    await deps.audit.record({
      user_id: row.user_id,
      endpoint: meta?.endpoint ?? 'deployer start-up recovery',
      action_type: `deployment.${state.toLowerCase()}`,
      request_data: {
        deployment_id: row.id,
        app_name: row.app_name,
        namespace: row.namespace,
        revision: row.revision,
        kind: row.kind,
        strategy: row.strategy,
        target: row.target,
      },
      response_summary: { state, ...(message ? { message } : {}) },
      ...(meta ? { ip_address: meta.ip, request_id: meta.requestId } : {}),
      ...(meta?.userAgent ? { user_agent: meta.userAgent } : {}),
    });
  } catch (err) {
    deps.log.error({ err, deploymentId: row.id }, 'could not record an audit event');
  }
}

/** What the user is shown for a failure: step reasons as they are, internal errors never. */
export function describeError(err: unknown): string {
  if (err instanceof StepError) return err.message;
  if (err instanceof AppError) return err.expose ? err.message : 'internal error';
  if ((err as Error)?.name === 'AbortError') return 'stopped: the deployer is shutting down';
  return (err as Error)?.message ?? String(err);
}
