import { buildConsoleUrl } from '../reference/console-links.ts';
import type { AssistantContext } from './context.ts';
import { runPlan, summarizeError } from './run-plan.ts';
import type { Caller, ConfirmInput, ConfirmView } from './views.ts';

/** `/api/confirm`: Accept runs exactly the held plan (never one the client sends); Decline runs nothing. */
export async function answerConfirm(
  ctx: AssistantContext,
  caller: Caller,
  input: ConfirmInput,
): Promise<ConfirmView> {
  const requestData = {
    ...(input.confirmationId ? { confirmation_id: input.confirmationId } : {}),
    ...(input.query !== undefined ? { query: input.query } : {}),
    decision: input.decision,
  };
  let resolved;
  try {
    resolved = await ctx.confirmations.resolveConfirmation({
      userId: caller.identity.userId,
      sessionId: caller.identity.sessionId ?? '',
      decision: input.decision,
      ...(input.confirmationId !== undefined ? { confirmationId: input.confirmationId } : {}),
      ...(input.confirmationId === undefined && input.query !== undefined ? { query: input.query } : {}),
      ...(input.plan !== undefined ? { plan: input.plan } : {}),
    });
  } catch (err) {
    await ctx.record(caller, `assistant.${input.decision}`, requestData, summarizeError(err));
    throw err;
  }
  // A compound confirmation runs its bound per-target operations, never as one plan.
  if (ctx.compound?.isCompound(resolved.plan)) return ctx.compound.complete(caller, resolved);
  const base = {
    confirmation_needed: false as const,
    confirmation_id: resolved.confirmationId,
    decision: resolved.decision,
    query: resolved.query,
    plan: resolved.plan,
    command: resolved.command,
    read_only: false,
    reference_url: buildConsoleUrl(resolved.plan),
  };
  if (resolved.decision === 'decline') {
    const output = `Declined: nothing was run (${resolved.command}).`;
    await ctx.record(caller, 'assistant.decline', requestData, {
      confirmation_id: resolved.confirmationId,
      plan: resolved.plan,
      ran: false,
    });
    await ctx.history.save(caller.identity, resolved.query, output);
    return { ...base, status: 'declined', message: 'Nothing was run.', output };
  }
  await ctx.record(caller, 'assistant.accept', requestData, {
    confirmation_id: resolved.confirmationId,
    plan: resolved.plan,
  });
  const run = await runPlan(ctx, caller, {
    query: resolved.query,
    plan: resolved.plan,
    command: resolved.command,
    risk: ctx.planner.classifyPlan(resolved.plan).risk,
  });
  return {
    ...base,
    status: 'accepted',
    message: 'Ran the confirmed command.',
    output: run.output,
    result: run.result,
  };
}
