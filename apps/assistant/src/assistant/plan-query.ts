import { NotAllowedError } from '@ashapp/platform';
import type { PlanResult } from '../planning/planner-chain.ts';
import { classifyOperation, type OperationRisk } from '../safety/read-only.ts';
import type { SafetyDecision } from '../safety/safety-rules.ts';
import type { AssistantContext } from './context.ts';
import { summarizeError } from './run-plan.ts';
import type { Caller, PlanChoiceView, PlanReplyView, PlanView } from './views.ts';

/** A planned request with the safety verdict on it. */
export interface Planned extends PlanView {
  action: string;
  decision: SafetyDecision;
}

function describeRisk(result: PlanResult): { readOnly: boolean; risk: OperationRisk; reason: string } {
  const verdict = classifyOperation(result.action, {
    sensitiveOutput: result.operation.sensitiveOutput,
    parameters: result.plan.parameters,
  });
  return { readOnly: verdict.readOnly, risk: verdict.risk, reason: verdict.reason };
}

function describeChoice(choice: PlanResult): PlanChoiceView {
  const verdict = describeRisk(choice);
  return {
    plan: choice.plan,
    command: choice.command,
    read_only: verdict.readOnly,
    risk: verdict.risk,
    ...(choice.operation.documentation ? { description: choice.operation.documentation } : {}),
  };
}

/** Plans a request through the planner chain and decides what the safety rules say about it. */
export async function planQuery(ctx: AssistantContext, caller: Caller, query: string): Promise<Planned> {
  const result = await ctx.planner.planRequest({
    request: query,
    defaultRegion: caller.credentials.region,
    credentials: caller.credentials,
  });
  const { readOnly, risk, reason } = describeRisk(result);
  const decision = ctx.policy.decide({
    action: result.action,
    cliAction: `${result.plan.service}:${result.plan.operation}`,
    readOnly,
    roles: caller.identity.roles,
  });
  const choices = result.choices?.map(describeChoice) ?? [];
  return {
    plan: result.plan,
    command: result.command,
    read_only: readOnly,
    planner: result.planner,
    risk,
    risk_reason: reason,
    // The plan itself comes first among the choices, so the user sees every candidate in one list.
    ...(choices.length > 0 ? { choices: [describeChoice(result), ...choices] } : {}),
    action: result.action,
    decision,
  };
}

/** Throws 403 naming the rule when the safety rules deny the planned operation. */
export function refuseDenied(planned: Planned): void {
  if (planned.decision.effect !== 'deny') return;
  const rule = planned.decision.rule;
  throw new NotAllowedError(`${planned.action} is not allowed here: ${planned.decision.reason}`, {
    action: planned.action,
    ...(rule
      ? {
          rule: {
            effect: rule.effect,
            actions: rule.actions,
            ...(rule.roles ? { roles: rule.roles } : {}),
            ...(rule.reason ? { reason: rule.reason } : {}),
          },
        }
      : {}),
  });
}

/** What the audit trail keeps of a plan. */
export function summarizePlan(p: Planned): Record<string, unknown> {
  return {
    plan: p.plan,
    command: p.command,
    read_only: p.read_only,
    risk: p.risk,
    planner: p.planner,
    decision: p.decision.effect,
    ...(p.choices ? { choices: p.choices.map((c) => c.command) } : {}),
  };
}

export function toPlanView(p: Planned): PlanView {
  return {
    plan: p.plan,
    command: p.command,
    read_only: p.read_only,
    planner: p.planner,
    risk: p.risk,
    risk_reason: p.risk_reason,
    ...(p.choices ? { choices: p.choices } : {}),
  };
}

/** `/api/plan`: the plan and its risk, audited; nothing runs. */
export async function answerPlan(
  ctx: AssistantContext,
  caller: Caller,
  query: string,
): Promise<PlanReplyView> {
  const compound = ctx.compound?.match(query);
  // A compound request's targets exist only once its read has run: planning shows the read step.
  if (compound && ctx.compound) return ctx.compound.plan(caller, query, compound);
  let planned: Planned;
  try {
    planned = await planQuery(ctx, caller, query);
    refuseDenied(planned);
  } catch (err) {
    await ctx.record(caller, 'assistant.plan', { query }, summarizeError(err));
    throw err;
  }
  await ctx.record(caller, 'assistant.plan', { query }, { ok: true, ...summarizePlan(planned) });
  return toPlanView(planned);
}
