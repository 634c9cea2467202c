import { ConflictError } from '@ashapp/platform';
import { toRunView, type RunView } from '../assistant/run-view.ts';
import type { Caller, ConfirmView } from '../assistant/views.ts';
import { renderTable } from '../aws-cli/render-output.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { Plan } from '../plan/plan.ts';
import { renderCommand } from '../planning/render-command.ts';
import { buildConsoleUrl } from '../reference/console-links.ts';
import type { ResolvedConfirmation } from '../safety/confirmation-service.ts';
import { digestOf, errorSummary, runTimed, type CompoundContext } from './compound-context.ts';
import { matchCompoundRequest, type CompoundMatch } from './compound-patterns.ts';
import type { CompoundOutcomeView, CompoundTargetView, CompoundView } from './compound-view.ts';

/** The per-target operations a compound confirmation holds (its stored "plan"'s parameters). */
interface BoundTargets {
  read: Plan;
  action: string;
  description: string;
  targets: CompoundTargetView[];
}

function readBinding(plan: Plan): BoundTargets {
  // The stored binding verified against its HMAC before it got here; the shape is still checked.
  const p = plan.parameters as Partial<BoundTargets>;
  if (!p.read || !Array.isArray(p.targets) || typeof p.action !== 'string') {
    throw new ConflictError('the stored compound confirmation is not readable; nothing was run');
  }
  return p as BoundTargets;
}

/** Accept: reads again and runs the bound operations on the targets that still match; Decline: nothing. */
export async function completeCompound(
  ctx: CompoundContext,
  caller: Caller,
  resolved: ResolvedConfirmation,
): Promise<ConfirmView> {
  const bound = readBinding(resolved.plan);
  const requestData = { confirmation_id: resolved.confirmationId, decision: resolved.decision };
  const base = {
    confirmation_needed: false as const,
    confirmation_id: resolved.confirmationId,
    decision: resolved.decision,
    query: resolved.query,
    plan: resolved.plan,
    command: resolved.command,
    read_only: false,
    reference_url: buildConsoleUrl(bound.read),
  };
  const view = (extra: Partial<CompoundView>, result?: RunView): CompoundView => ({
    pattern: resolved.plan.operation as CompoundMatch['pattern'],
    description: bound.description,
    action: bound.action,
    read: {
      plan: bound.read,
      command: renderCommand(ctx.catalog, bound.read),
      result: result ?? { json: null, text: '', table: renderTable(null) },
    },
    targets: bound.targets,
    digest: digestOf(bound.targets),
    ...extra,
  });
  if (resolved.decision === 'decline') {
    const output = `Declined: nothing was run (${bound.targets.length} changes dropped).`;
    await ctx.record(caller, 'assistant.decline', requestData, {
      confirmation_id: resolved.confirmationId,
      ran: false,
    });
    await ctx.history.save(caller.identity, resolved.query, output);
    return { ...base, status: 'declined', message: 'Nothing was run.', output, compound: view({}) };
  }
  await ctx.record(caller, 'assistant.accept', requestData, {
    confirmation_id: resolved.confirmationId,
    digest: digestOf(bound.targets),
  });
  // Read again: a bound target that no longer matches (re-tagged, already stopped, deleted) is skipped.
  // Targets that appeared since are reported, never changed: only the confirmed operations can run.
  const match = matchCompoundRequest(resolved.query);
  if (
    !match ||
    JSON.stringify(validatePlan(ctx.catalog, { ...match.read, region: bound.read.region }).plan) !==
      JSON.stringify(bound.read)
  ) {
    throw new ConflictError('the confirmed request no longer reads the same way; nothing was run');
  }
  const reread = await runTimed(ctx, caller, bound.read);
  const current = new Map(match.select(reread.json).map((t) => [t.id, t]));
  const outcomes: CompoundOutcomeView[] = [];
  for (const target of bound.targets) {
    const entry = { id: target.id, label: target.label, command: target.command };
    if (!current.has(target.id)) {
      outcomes.push({
        ...entry,
        status: 'skipped',
        error: { code: 'NO_LONGER_MATCHES', message: 'it no longer matches the request; left alone' },
      });
      continue;
    }
    try {
      const run = await runTimed(ctx, caller, target.plan);
      outcomes.push({ ...entry, status: 'done', result: toRunView(run) });
      await ctx.record(
        caller,
        'assistant.result',
        { query: resolved.query, plan: target.plan, command: target.command },
        { ok: true },
      );
    } catch (err) {
      outcomes.push({ ...entry, status: 'failed', error: errorSummary(err) });
      await ctx.record(
        caller,
        'assistant.result',
        { query: resolved.query, plan: target.plan, command: target.command },
        { ok: false, ...errorSummary(err) },
      );
    }
  }
  const boundIds = new Set(bound.targets.map((t) => t.id));
  const appeared = [...current.values()].filter((t) => !boundIds.has(t.id));
  const count = (status: CompoundOutcomeView['status']) => outcomes.filter((o) => o.status === status).length;
  const output = [
    `${bound.description}: ${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped.`,
    ...outcomes.map(
      (o) => `  ${o.status.padEnd(7)} ${o.command}${o.error ? `    # ${o.error.message}` : ''}`,
    ),
    ...(appeared.length > 0
      ? [`Not changed (not in the confirmation): ${appeared.map((t) => t.id).join(', ')}`]
      : []),
  ].join('\n');
  await ctx.record(caller, 'assistant.compound_result', requestData, {
    done: count('done'),
    failed: count('failed'),
    skipped: count('skipped'),
    appeared: appeared.length,
  });
  await ctx.history.save(caller.identity, resolved.query, output);
  return {
    ...base,
    status: 'accepted',
    message: `Ran ${count('done')} of the ${bound.targets.length} confirmed changes.`,
    output,
    compound: view({ outcomes, appeared }, toRunView(reread)),
  };
}
