import { createHash } from 'node:crypto';
import { AppError, InputError, NotAllowedError, type AuditOutbox } from '@ashapp/platform';
import { recordCallerEvent } from '../assistant/caller-audit.ts';
import type { Caller } from '../assistant/views.ts';
import type { AwsCliExecutor, CliRunResult } from '../aws-cli/cli-executor.ts';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { HistoryRecorder } from '../history/history-recorder.ts';
import type { Plan } from '../plan/plan.ts';
import { renderCommand } from '../planning/render-command.ts';
import type { ConfirmationService } from '../safety/confirmation-service.ts';
import { classifyOperation } from '../safety/read-only.ts';
import type { SafetyPolicy } from '../safety/safety-rules.ts';
import type { CompoundMatch } from './compound-patterns.ts';
import type { CompoundTargetView } from './compound-view.ts';

/**
 * The \`service\` of a confirmation that holds a compound binding. It cannot be an AWS CLI service name (no
 * planner can produce it: validation knows only the CLI's services), so nothing but this feature runs it.
 */
export const COMPOUND_SERVICE = 'ashapp:compound';
/** More targets than this are refused: a change that wide should be narrowed, not confirmed at a glance. */
export const MAX_COMPOUND_TARGETS = 100;

export interface CompoundServiceDeps {
  catalog: AwsModelCatalog;
  executor: AwsCliExecutor;
  policy: SafetyPolicy;
  confirmations: ConfirmationService;
  history: HistoryRecorder;
  audit: AuditOutbox;
}

/** What every compound step works with: its dependencies and one way to audit a step. */
export interface CompoundContext extends CompoundServiceDeps {
  record(
    caller: Caller,
    action: string,
    requestData: Record<string, unknown>,
    responseSummary: Record<string, unknown>,
  ): Promise<void>;
}

export function createCompoundContext(deps: CompoundServiceDeps): CompoundContext {
  return {
    ...deps,
    record: (caller, action, requestData, responseSummary) =>
      recordCallerEvent(deps.audit, caller, action, requestData, responseSummary),
  };
}

export function digestOf(targets: readonly { plan: Plan }[]): string {
  return createHash('sha256')
    .update(JSON.stringify(targets.map((t) => t.plan)))
    .digest('hex');
}

export function errorSummary(err: unknown): { code: string; message: string } {
  if (err instanceof AppError && err.expose) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'the request failed' };
}

/** Throws 403 when the safety rules deny the operation. */
export function checkAllowed(ctx: CompoundContext, caller: Caller, action: string, cliAction: string): void {
  const decision = ctx.policy.decide({
    action,
    cliAction,
    readOnly: classifyOperation(action).readOnly,
    roles: caller.identity.roles,
  });
  if (decision.effect === 'deny') {
    throw new NotAllowedError(`${action} is not allowed here: ${decision.reason}`, { action });
  }
}

/** Runs a plan, adding its time to the caller's CLI time (Server-Timing). */
export async function runTimed(ctx: CompoundContext, caller: Caller, plan: Plan): Promise<CliRunResult> {
  const started = performance.now();
  try {
    return await ctx.executor.run(plan, caller.credentials);
  } finally {
    if (caller.timing) caller.timing.cliMs += performance.now() - started;
  }
}

/** Validates the read and every change, checks the rules, runs the read and selects the targets. */
export async function resolveTargets(
  ctx: CompoundContext,
  caller: Caller,
  match: CompoundMatch,
): Promise<{ read: Plan; readResult: CliRunResult; targets: CompoundTargetView[] }> {
  const region = caller.credentials.region;
  const validatedRead = validatePlan(ctx.catalog, { ...match.read, region });
  if (!classifyOperation(validatedRead.action).readOnly) {
    throw new InputError(`the read step ${validatedRead.action} is not read-only`);
  }
  checkAllowed(
    ctx,
    caller,
    validatedRead.action,
    `${validatedRead.plan.service}:${validatedRead.plan.operation}`,
  );
  // A change the rules deny is refused before anything is read (and checked again per target below).
  const probe = validatePlan(ctx.catalog, { ...match.change({ id: 'probe', label: '' }), region });
  if (probe.action !== match.changeAction) {
    throw new InputError(`the change ${probe.action} is not the expected ${match.changeAction}`);
  }
  checkAllowed(ctx, caller, probe.action, `${probe.plan.service}:${probe.plan.operation}`);
  const readResult = await runTimed(ctx, caller, validatedRead.plan);
  const selected = match.select(readResult.json);
  if (selected.length > MAX_COMPOUND_TARGETS) {
    throw new InputError(
      `${selected.length} resources match; more than ${MAX_COMPOUND_TARGETS} cannot be changed in one confirmation — narrow the request`,
    );
  }
  const targets = selected.map((target) => {
    const validated = validatePlan(ctx.catalog, { ...match.change(target), region });
    if (validated.action !== match.changeAction) {
      throw new InputError(`the change ${validated.action} is not the expected ${match.changeAction}`);
    }
    checkAllowed(ctx, caller, validated.action, `${validated.plan.service}:${validated.plan.operation}`);
    return { ...target, plan: validated.plan, command: renderCommand(ctx.catalog, validated.plan) };
  });
  return { read: validatedRead.plan, readResult, targets };
}
