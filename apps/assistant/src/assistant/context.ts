import type { AuditOutbox } from '@ashapp/platform';
import type { AwsCliExecutor } from '../aws-cli/cli-executor.ts';
import type { CompoundService } from '../compound/compound-service.ts';
import type { HistoryRecorder } from '../history/history-recorder.ts';
import type { PlannerChain } from '../planning/planner-chain.ts';
import type { ConfirmationService } from '../safety/confirmation-service.ts';
import type { SafetyPolicy } from '../safety/safety-rules.ts';
import { recordCallerEvent } from './caller-audit.ts';
import type { Caller } from './views.ts';

export interface AssistantServiceDeps {
  planner: PlannerChain;
  executor: AwsCliExecutor;
  policy: SafetyPolicy;
  confirmations: ConfirmationService;
  history: HistoryRecorder;
  audit: AuditOutbox;
  /**
   * Why nothing can run here (no AWS CLI v2), if so: asks then answer with the planned command and what to
   * install instead of failing. Asked per request: the host is probed while the service already listens.
   */
  readExecutionUnavailable?: () => Promise<string | undefined>;
  /** Compound requests, tried before the planner chain. */
  compound?: CompoundService;
}

/** What every use case of the assistant works with: its dependencies and one way to audit a step. */
export interface AssistantContext extends AssistantServiceDeps {
  record(
    caller: Caller,
    action: string,
    requestData: Record<string, unknown>,
    responseSummary: Record<string, unknown>,
  ): Promise<void>;
}

export function createAssistantContext(deps: AssistantServiceDeps): AssistantContext {
  return {
    ...deps,
    record: (caller, action, requestData, responseSummary) =>
      recordCallerEvent(deps.audit, caller, action, requestData, responseSummary),
  };
}
