import { NotAuthenticatedError } from '@ashapp/platform';
import { buildConsoleUrl } from '../reference/console-links.ts';
import type { AssistantContext } from './context.ts';
import { planQuery, refuseDenied, summarizePlan, toPlanView, type Planned } from './plan-query.ts';
import { describeError, runPlan, summarizeError } from './run-plan.ts';
import { describeDryRun, type DryRunView } from './run-view.ts';
import type { AskView, Caller } from './views.ts';

type AskBase = Omit<AskView, 'confirmation_needed' | 'output'>;

/** Several operations fit equally: the user picks one by asking for its command; nothing runs now. */
async function answerChoices(
  ctx: AssistantContext,
  caller: Caller,
  base: AskBase,
  planned: Planned,
): Promise<AskView> {
  const output = [
    'More than one operation fits this request; ask again with the one you mean:',
    ...(planned.choices ?? []).map((c) => `  ${c.command}${c.description ? `  (${c.description})` : ''}`),
  ].join('\n');
  await ctx.history.save(caller.identity, base.query, output);
  return { ...base, confirmation_needed: false, output };
}

/** Planning needs only the model index; running needs the CLI. Says what would run and what is missing. */
async function answerNotRunnable(
  ctx: AssistantContext,
  caller: Caller,
  base: AskBase,
  planned: Planned,
  reason: string,
): Promise<AskView> {
  const output = [
    `Planned: ${planned.command}`,
    `Not run: ${reason}. Install the AWS CLI v2 on the assistant's host (Debian: apt-get install awscli, or AWS's installer) to run commands here; you can run this command yourself meanwhile.`,
  ].join('\n');
  await ctx.history.save(caller.identity, base.query, output);
  return { ...base, confirmation_needed: false, output, not_run_reason: reason };
}

/** The operation's own dry run (EC2), for the prompt; undefined when the service has none. */
async function tryDryRun(ctx: AssistantContext, caller: Caller, planned: Planned, query: string) {
  try {
    const started = performance.now();
    const verdict = await ctx.executor.dryRun(planned.plan, caller.credentials);
    if (caller.timing) caller.timing.cliMs += performance.now() - started;
    return verdict ? describeDryRun(verdict) : undefined;
  } catch (err) {
    await ctx.record(caller, 'assistant.dry_run', { query, plan: planned.plan }, summarizeError(err));
    await ctx.history.save(caller.identity, query, describeError(err));
    throw err;
  }
}

/** A change (or a secret read): held for a confirmation bound to this exact plan, user and session. */
async function holdForConfirmation(
  ctx: AssistantContext,
  caller: Caller,
  base: AskBase,
  planned: Planned,
): Promise<AskView> {
  const { query } = base;
  const sessionId = caller.identity.sessionId;
  // A confirmation is bound to a session; a caller without one could never confirm it.
  if (!sessionId)
    throw new NotAuthenticatedError('changes need a signed-in session to confirm them: sign in again');
  const dryRun: DryRunView | undefined = await tryDryRun(ctx, caller, planned, query);
  const { confirmationId, expiresAt } = await ctx.confirmations.requestConfirmation({
    userId: caller.identity.userId,
    sessionId,
    query,
    plan: planned.plan,
    command: planned.command,
  });
  const output = [
    planned.risk === 'secret'
      ? `This request reads a secret (${planned.risk_reason}); its answer is shown to you once and never stored. It waits for your decision: ${planned.command}`
      : `This request changes resources and waits for your decision: ${planned.command}`,
    ...(dryRun ? [`Dry run: ${dryRun.message}`] : []),
    'Accept to run exactly this command, or Decline to run nothing.',
  ].join('\n');
  await ctx.record(
    caller,
    'assistant.confirmation_requested',
    { query, plan: planned.plan, command: planned.command },
    {
      confirmation_id: confirmationId,
      expires_at: expiresAt.toISOString(),
      ...(dryRun ? { dry_run: { would_succeed: dryRun.would_succeed, code: dryRun.code } } : {}),
    },
  );
  await ctx.history.save(caller.identity, query, output);
  return {
    ...base,
    confirmation_needed: true,
    output,
    confirmation_id: confirmationId,
    expires_at: expiresAt.toISOString(),
    ...(dryRun ? { dry_run: dryRun } : {}),
  };
}

/** `/api/ask`: a read runs at once; a change or a secret read waits for a confirmation. */
export async function answerAsk(ctx: AssistantContext, caller: Caller, query: string): Promise<AskView> {
  const compound = ctx.compound?.match(query);
  if (compound && ctx.compound) return ctx.compound.ask(caller, query, compound);
  await ctx.record(caller, 'assistant.ask', { query }, { received: true });
  let planned: Planned;
  try {
    planned = await planQuery(ctx, caller, query);
    await ctx.record(caller, 'assistant.plan', { query }, { ok: true, ...summarizePlan(planned) });
    refuseDenied(planned);
  } catch (err) {
    await ctx.record(caller, 'assistant.result', { query }, summarizeError(err));
    await ctx.history.save(caller.identity, query, describeError(err));
    throw err;
  }
  const base: AskBase = { query, ...toPlanView(planned), reference_url: buildConsoleUrl(planned.plan) };
  if (planned.choices) return answerChoices(ctx, caller, base, planned);
  const notRunnable = await ctx.readExecutionUnavailable?.();
  if (notRunnable !== undefined) return answerNotRunnable(ctx, caller, base, planned, notRunnable);
  if (planned.decision.confirm) return holdForConfirmation(ctx, caller, base, planned);
  const run = await runPlan(ctx, caller, {
    query,
    plan: planned.plan,
    command: planned.command,
    risk: planned.risk,
  });
  return { ...base, confirmation_needed: false, output: run.output, result: run.result };
}
