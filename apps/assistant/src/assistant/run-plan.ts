import { AppError } from '@ashapp/platform';
import type { CliRunResult } from '../aws-cli/cli-executor.ts';
import type { Plan } from '../plan/plan.ts';
import type { OperationRisk } from '../safety/read-only.ts';
import type { AssistantContext } from './context.ts';
import { toRunView, type RunView } from './run-view.ts';
import type { Caller } from './views.ts';

/** What the audit trail keeps of a failure: status and codes, never the message's data. */
export function summarizeError(err: unknown): Record<string, unknown> {
  if (err instanceof AppError) {
    return {
      ok: false,
      status: err.status,
      code: err.code,
      ...(typeof err.details?.['awsCode'] === 'string' ? { aws_code: err.details['awsCode'] } : {}),
    };
  }
  return { ok: false, status: 500, code: 'INTERNAL' };
}

/** What history keeps of a failure: the message when it is meant for the user, else a generic line. */
export function describeError(err: unknown): string {
  return err instanceof AppError && err.expose ? `Error: ${err.message}` : 'Error: the request failed';
}

/** The text the original answered with: what the CLI printed (JSON), or a note when it printed nothing. */
function describeOutput(result: CliRunResult): string {
  const raw = result.raw.trim();
  return raw === '' ? 'Done: AWS returned no output.' : raw;
}

export interface PlanToRun {
  query: string;
  plan: Plan;
  command: string;
  risk: OperationRisk;
}

/**
 * Runs a plan that passed every check; audits the result and saves it to history either way. The output
 * of a secret read goes only to the caller: history gets a note instead, audit never has output.
 */
export async function runPlan(
  ctx: AssistantContext,
  caller: Caller,
  { query, plan, command, risk }: PlanToRun,
): Promise<{ output: string; result: RunView }> {
  let run: CliRunResult;
  try {
    run = await ctx.executor.run(plan, caller.credentials);
  } catch (err) {
    await ctx.record(caller, 'assistant.result', { query, plan, command }, summarizeError(err));
    await ctx.history.save(caller.identity, query, describeError(err));
    throw err;
  }
  if (caller.timing) caller.timing.cliMs += run.durationMs;
  const output = describeOutput(run);
  await ctx.record(
    caller,
    'assistant.result',
    { query, plan, command },
    {
      ok: true,
      duration_ms: Math.round(run.durationMs),
      output_bytes: Buffer.byteLength(run.raw),
      ...(risk === 'secret' ? { output_withheld: true } : {}),
    },
  );
  await ctx.history.save(
    caller.identity,
    query,
    risk === 'secret' ? `Ran ${command}: its answer holds secrets and is not stored.` : output,
  );
  return { output, result: toRunView(run) };
}
