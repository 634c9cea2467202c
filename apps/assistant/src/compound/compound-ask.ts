import { NotAuthenticatedError } from '@ashapp/platform';
import { toRunView } from '../assistant/run-view.ts';
import type { AskView, Caller, PlanReplyView } from '../assistant/views.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { Plan } from '../plan/plan.ts';
import { renderCommand } from '../planning/render-command.ts';
import { buildConsoleUrl } from '../reference/console-links.ts';
import {
  checkAllowed,
  COMPOUND_SERVICE,
  digestOf,
  errorSummary,
  resolveTargets,
  type CompoundContext,
} from './compound-context.ts';
import type { CompoundMatch } from './compound-patterns.ts';
import type { CompoundView } from './compound-view.ts';

/** The ask: runs the read, shows the exact change per target, holds one confirmation bound to them. */
export async function askCompound(
  ctx: CompoundContext,
  caller: Caller,
  query: string,
  match: CompoundMatch,
): Promise<AskView> {
  await ctx.record(caller, 'assistant.ask', { query }, { received: true, compound: match.pattern });
  let resolved;
  try {
    if (!caller.identity.sessionId) {
      throw new NotAuthenticatedError('changes need a signed-in session to confirm them: sign in again');
    }
    resolved = await resolveTargets(ctx, caller, match);
  } catch (err) {
    await ctx.record(
      caller,
      'assistant.result',
      { query, compound: match.pattern },
      { ok: false, ...errorSummary(err) },
    );
    await ctx.history.save(caller.identity, query, `Error: ${errorSummary(err).message}`);
    throw err;
  }
  const { read, readResult, targets } = resolved;
  const readCommand = renderCommand(ctx.catalog, read);
  const digest = digestOf(targets);
  const compound: CompoundView = {
    pattern: match.pattern,
    description: match.description,
    action: match.changeAction,
    read: { plan: read, command: readCommand, result: toRunView(readResult) },
    targets,
    digest,
  };
  const base = {
    query,
    plan: read,
    command: targets.map((t) => t.command).join('\n') || readCommand,
    read_only: false,
    planner: 'compound' as const,
    risk: 'change' as const,
    risk_reason: 'a compound request changes every resource its read selects',
    reference_url: buildConsoleUrl(read),
    compound,
  };
  if (targets.length === 0) {
    const output = `${match.description}: nothing matches (${readCommand}), so nothing would change.`;
    await ctx.record(
      caller,
      'assistant.result',
      { query, compound: match.pattern, read },
      { ok: true, targets: 0 },
    );
    await ctx.history.save(caller.identity, query, output);
    return { ...base, confirmation_needed: false, output, result: toRunView(readResult) };
  }
  const binding: Plan = {
    service: COMPOUND_SERVICE,
    operation: match.pattern,
    region: read.region,
    parameters: {
      description: match.description,
      action: match.changeAction,
      read,
      targets: targets.map(({ id, label, plan, command }) => ({ id, label, plan, command })),
    },
  };
  const { confirmationId, expiresAt } = await ctx.confirmations.requestConfirmation({
    userId: caller.identity.userId,
    sessionId: caller.identity.sessionId as string,
    query,
    plan: binding,
    command: base.command,
  });
  const output = [
    `${match.description}: ${targets.length} ${targets.length === 1 ? 'resource matches' : 'resources match'} (${readCommand}).`,
    'On Accept, each of these runs once, only on targets that still match then:',
    ...targets.map((t) => `  ${t.command}    # ${t.label}`),
    'Accept to run exactly these commands, or Decline to run nothing.',
  ].join('\n');
  await ctx.record(
    caller,
    'assistant.confirmation_requested',
    { query, compound: match.pattern, read, targets: targets.map((t) => t.plan) },
    { confirmation_id: confirmationId, expires_at: expiresAt.toISOString(), digest },
  );
  await ctx.history.save(caller.identity, query, output);
  return {
    ...base,
    confirmation_needed: true,
    output,
    confirmation_id: confirmationId,
    expires_at: expiresAt.toISOString(),
  };
}

/** The plan: the read step and the kind of change, checked against the rules; nothing runs. */
export async function planCompound(
  ctx: CompoundContext,
  caller: Caller,
  query: string,
  match: CompoundMatch,
): Promise<PlanReplyView> {
  const region = caller.credentials.region;
  try {
    const read = validatePlan(ctx.catalog, { ...match.read, region });
    checkAllowed(ctx, caller, read.action, `${read.plan.service}:${read.plan.operation}`);
    const probe = validatePlan(ctx.catalog, { ...match.change({ id: 'probe', label: '' }), region });
    checkAllowed(ctx, caller, probe.action, `${probe.plan.service}:${probe.plan.operation}`);
    const view = {
      plan: read.plan,
      command: renderCommand(ctx.catalog, read.plan),
      read_only: false,
      planner: 'compound' as const,
      risk: 'change' as const,
      risk_reason: 'a compound request changes every resource its read selects',
    };
    await ctx.record(
      caller,
      'assistant.plan',
      { query },
      { ok: true, compound: match.pattern, plan: read.plan },
    );
    return view;
  } catch (err) {
    await ctx.record(caller, 'assistant.plan', { query }, { ok: false, ...errorSummary(err) });
    throw err;
  }
}
