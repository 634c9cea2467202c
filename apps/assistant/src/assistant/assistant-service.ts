import {
  AppError,
  NotAllowedError,
  NotAuthenticatedError,
  type AuditOutbox,
  type Identity,
} from '@ashapp/platform';
import type { AwsCredentials } from '../aws-credentials.ts';
import type { CompoundService, CompoundView } from '../compound/compound-service.ts';
import type { AwsCliExecutor, CliRunResult, DryRunVerdict } from '../aws-cli/cli-executor.ts';
import { renderTable, type TableView } from '../aws-cli/render-output.ts';
import type { HistoryRecorder } from '../history/history-recorder.ts';
import type { Plan, PlannerName } from '../plan/plan.ts';
import type { PlannerChain, PlanResult } from '../planning/planner-chain.ts';
import { buildConsoleUrl } from '../reference/console-links.ts';
import type { ConfirmationService } from '../safety/confirmation-service.ts';
import { classifyOperation, type OperationRisk } from '../safety/read-only.ts';
import type { SafetyDecision, SafetyPolicy } from '../safety/safety-rules.ts';
import { recordCallerEvent } from './caller-audit.ts';

/** Where a request came from, for the audit trail. */
export interface RequestMeta {
  endpoint: string;
  ip: string;
  userAgent: string | undefined;
}

/** The caller of one request: who (from the gateway's assertion) and their AWS session (sealed hand-off). */
export interface Caller {
  identity: Identity;
  credentials: AwsCredentials;
  meta: RequestMeta;
  /** Filled in with the AWS CLI children's own run time (the `Server-Timing` header, the benchmark). */
  timing?: { cliMs: number };
}

/** Another operation that fits the request as well; the user picks by asking for its command. */
export interface PlanChoiceView {
  plan: Plan;
  command: string;
  read_only: boolean;
  risk: OperationRisk;
  /** One sentence from the model's documentation of the operation. */
  description?: string;
}

export interface PlanView {
  plan: Plan;
  command: string;
  read_only: boolean;
  planner: PlannerName;
  /** `read` runs at once, `secret` (reads credentials or secrets) and `change` need a confirmation. */
  risk: OperationRisk;
  /** Why, in words ("… reads a secret: it returns a secret value"). */
  risk_reason: string;
  /** Present when several operations fit equally: nothing runs until the user picks one. */
  choices?: PlanChoiceView[];
}

/** What /api/plan answers: a planner's plan, or a compound request's read step. */
export interface PlanReplyView extends Omit<PlanView, 'planner'> {
  planner: AskSource;
}

/** Who produced what an ask shows: a planner, or the compound patterns (read → select → change). */
export type AskSource = PlannerName | 'compound';

export interface RunView {
  json: unknown;
  text: string;
  table: TableView;
}

export interface DryRunView {
  ok: boolean;
  would_succeed: boolean;
  code: string;
  message: string;
  verdict: string;
}

export interface AskView extends Omit<PlanView, 'planner'> {
  planner: AskSource;
  /** A compound request: the read, its result, and the exact change per target (see compound/). */
  compound?: CompoundView;
  confirmation_needed: boolean;
  /** Set when the plan was not run because this server cannot run AWS commands (no CLI). */
  not_run_reason?: string;
  query: string;
  output: string;
  reference_url: string;
  result?: RunView;
  confirmation_id?: string;
  expires_at?: string;
  dry_run?: DryRunView;
}

export interface ConfirmInput {
  confirmationId?: string;
  query?: string;
  decision: 'accept' | 'decline';
  /** If the client sends the plan it saw, it must be exactly the confirmed one. */
  plan?: Plan;
}

export interface ConfirmView {
  confirmation_needed: false;
  confirmation_id: string;
  decision: 'accept' | 'decline';
  status: 'accepted' | 'declined';
  message: string;
  query: string;
  output: string;
  plan: Plan;
  command: string;
  read_only: boolean;
  reference_url: string;
  result?: RunView;
  compound?: CompoundView;
}

export interface AssistantService {
  plan(caller: Caller, query: string): Promise<PlanReplyView>;
  ask(caller: Caller, query: string): Promise<AskView>;
  confirm(caller: Caller, input: ConfirmInput): Promise<ConfirmView>;
}

export interface AssistantServiceDeps {
  planner: PlannerChain;
  executor: AwsCliExecutor;
  policy: SafetyPolicy;
  confirmations: ConfirmationService;
  history: HistoryRecorder;
  audit: AuditOutbox;
  /**
   * Why nothing can run here (no AWS CLI v2), if so: asks then answer with the planned command and what to
   * install instead of failing.
   */
  executionUnavailable?: string;
  /** Compound requests, tried before the planner chain. */
  compound?: CompoundService;
}

interface Planned extends PlanView {
  action: string;
  decision: SafetyDecision;
}

function describeDryRun(verdict: DryRunVerdict): DryRunView {
  const text = verdict.wouldSucceed
    ? 'AWS says the request would succeed.'
    : `AWS says the request would fail: ${verdict.code}: ${verdict.message}`;
  return {
    ok: verdict.wouldSucceed,
    would_succeed: verdict.wouldSucceed,
    code: verdict.code,
    message: text,
    verdict: verdict.wouldSucceed ? 'would succeed' : 'would fail',
  };
}

function toRunView(result: CliRunResult): RunView {
  return { json: result.json, text: result.text, table: renderTable(result.json) };
}

/** The text the original answered with: what the CLI printed (JSON), or a note when it printed nothing. */
function describeOutput(result: CliRunResult): string {
  const raw = result.raw.trim();
  return raw === '' ? 'Done: AWS returned no output.' : raw;
}

function summarizeError(err: unknown): Record<string, unknown> {
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

function errorText(err: unknown): string {
  return err instanceof AppError && err.expose ? `Error: ${err.message}` : 'Error: the request failed';
}

/**
 * The assistant's use cases: plan a request, ask (run a read at once, or hold a change for confirmation),
 * confirm (run exactly the held plan, or nothing). Every step is an audit event; every request and what
 * came of it is saved to the user's history.
 */
export function createAssistantService(deps: AssistantServiceDeps): AssistantService {
  const { planner, executor, policy, confirmations, history, audit, executionUnavailable } = deps;

  const record = (
    caller: Caller,
    action: string,
    requestData: Record<string, unknown>,
    responseSummary: Record<string, unknown>,
  ) => recordCallerEvent(audit, caller, action, requestData, responseSummary);

  function describeRisk(result: PlanResult): { readOnly: boolean; risk: OperationRisk; reason: string } {
    const verdict = classifyOperation(result.action, {
      sensitiveOutput: result.operation.sensitiveOutput,
      parameters: result.plan.parameters,
    });
    return { readOnly: verdict.readOnly, risk: verdict.risk, reason: verdict.reason };
  }

  async function planQuery(caller: Caller, query: string): Promise<Planned> {
    const result = await planner.planRequest({
      request: query,
      defaultRegion: caller.credentials.region,
      credentials: caller.credentials,
    });
    const { readOnly, risk, reason } = describeRisk(result);
    const decision = policy.decide({
      action: result.action,
      cliAction: `${result.plan.service}:${result.plan.operation}`,
      readOnly,
      roles: caller.identity.roles,
    });
    const choices = result.choices?.map((choice): PlanChoiceView => {
      const verdict = describeRisk(choice);
      return {
        plan: choice.plan,
        command: choice.command,
        read_only: verdict.readOnly,
        risk: verdict.risk,
        ...(choice.operation.documentation ? { description: choice.operation.documentation } : {}),
      };
    });
    return {
      plan: result.plan,
      command: result.command,
      read_only: readOnly,
      planner: result.planner,
      risk,
      risk_reason: reason,
      ...(choices && choices.length > 0
        ? {
            choices: [
              {
                plan: result.plan,
                command: result.command,
                read_only: readOnly,
                risk,
                ...(result.operation.documentation ? { description: result.operation.documentation } : {}),
              },
              ...choices,
            ],
          }
        : {}),
      action: result.action,
      decision,
    };
  }

  function refuseDenied(planned: Planned): void {
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

  const planSummary = (p: Planned) => ({
    plan: p.plan,
    command: p.command,
    read_only: p.read_only,
    risk: p.risk,
    planner: p.planner,
    decision: p.decision.effect,
    ...(p.choices ? { choices: p.choices.map((c) => c.command) } : {}),
  });

  const toPlanView = (p: Planned): PlanView => ({
    plan: p.plan,
    command: p.command,
    read_only: p.read_only,
    planner: p.planner,
    risk: p.risk,
    risk_reason: p.risk_reason,
    ...(p.choices ? { choices: p.choices } : {}),
  });

  async function plan(caller: Caller, query: string): Promise<PlanReplyView> {
    const compound = deps.compound?.match(query);
    // A compound request's targets exist only once its read has run: planning shows the read step.
    if (compound && deps.compound) return deps.compound.plan(caller, query, compound);
    let planned: Planned;
    try {
      planned = await planQuery(caller, query);
      refuseDenied(planned);
    } catch (err) {
      await record(caller, 'assistant.plan', { query }, summarizeError(err));
      throw err;
    }
    await record(caller, 'assistant.plan', { query }, { ok: true, ...planSummary(planned) });
    return toPlanView(planned);
  }

  async function ask(caller: Caller, query: string): Promise<AskView> {
    const compound = deps.compound?.match(query);
    if (compound && deps.compound) return deps.compound.ask(caller, query, compound);
    await record(caller, 'assistant.ask', { query }, { received: true });
    let planned: Planned;
    try {
      planned = await planQuery(caller, query);
      await record(caller, 'assistant.plan', { query }, { ok: true, ...planSummary(planned) });
      refuseDenied(planned);
    } catch (err) {
      await record(caller, 'assistant.result', { query }, summarizeError(err));
      await history.save(caller.identity, query, errorText(err));
      throw err;
    }
    const base = { query, ...toPlanView(planned), reference_url: buildConsoleUrl(planned.plan) };

    if (planned.choices) {
      // Two operations fit equally: the user picks one by asking for its command; nothing runs now.
      const output = [
        'More than one operation fits this request; ask again with the one you mean:',
        ...planned.choices.map((c) => `  ${c.command}${c.description ? `  (${c.description})` : ''}`),
      ].join('\n');
      await history.save(caller.identity, query, output);
      return { ...base, confirmation_needed: false, output };
    }
    if (executionUnavailable !== undefined) {
      // Planning needs only the model index; running needs the CLI. Say what would run and what is missing.
      const output = [
        `Planned: ${planned.command}`,
        `Not run: ${executionUnavailable}. Install the AWS CLI v2 on the assistant's host (Debian: apt-get install awscli, or AWS's installer) to run commands here; you can run this command yourself meanwhile.`,
      ].join('\n');
      await history.save(caller.identity, query, output);
      return { ...base, confirmation_needed: false, output, not_run_reason: executionUnavailable };
    }

    if (!planned.decision.confirm) {
      const run = await runPlan(caller, query, planned.plan, planned.command, planned.risk);
      return { ...base, confirmation_needed: false, output: run.output, result: run.result };
    }

    if (!caller.identity.sessionId) {
      // A confirmation is bound to a session; a caller without one could never confirm it.
      throw new NotAuthenticatedError('changes need a signed-in session to confirm them: sign in again');
    }
    let dryRun: DryRunView | undefined;
    try {
      const started = performance.now();
      const verdict = await executor.dryRun(planned.plan, caller.credentials);
      if (caller.timing) caller.timing.cliMs += performance.now() - started;
      if (verdict) dryRun = describeDryRun(verdict);
    } catch (err) {
      await record(caller, 'assistant.dry_run', { query, plan: planned.plan }, summarizeError(err));
      await history.save(caller.identity, query, errorText(err));
      throw err;
    }
    const { confirmationId, expiresAt } = await confirmations.requestConfirmation({
      userId: caller.identity.userId,
      sessionId: caller.identity.sessionId,
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
    await record(
      caller,
      'assistant.confirmation_requested',
      { query, plan: planned.plan, command: planned.command },
      {
        confirmation_id: confirmationId,
        expires_at: expiresAt.toISOString(),
        ...(dryRun ? { dry_run: { would_succeed: dryRun.would_succeed, code: dryRun.code } } : {}),
      },
    );
    await history.save(caller.identity, query, output);
    return {
      ...base,
      confirmation_needed: true,
      output,
      confirmation_id: confirmationId,
      expires_at: expiresAt.toISOString(),
      ...(dryRun ? { dry_run: dryRun } : {}),
    };
  }

  /**
   * Runs a plan that passed every check; audits the result and saves it to history either way. The output
   * of a secret read goes only to the caller: history gets a note instead, audit never has output.
   */
  async function runPlan(
    caller: Caller,
    query: string,
    plan: Plan,
    command: string,
    risk: OperationRisk,
  ): Promise<{ output: string; result: RunView }> {
    let run: CliRunResult;
    try {
      run = await executor.run(plan, caller.credentials);
    } catch (err) {
      await record(caller, 'assistant.result', { query, plan, command }, summarizeError(err));
      await history.save(caller.identity, query, errorText(err));
      throw err;
    }
    if (caller.timing) caller.timing.cliMs += run.durationMs;
    const output = describeOutput(run);
    await record(
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
    await history.save(
      caller.identity,
      query,
      risk === 'secret' ? `Ran ${command}: its answer holds secrets and is not stored.` : output,
    );
    return { output, result: toRunView(run) };
  }

  async function confirm(caller: Caller, input: ConfirmInput): Promise<ConfirmView> {
    const requestData = {
      ...(input.confirmationId ? { confirmation_id: input.confirmationId } : {}),
      ...(input.query !== undefined ? { query: input.query } : {}),
      decision: input.decision,
    };
    let resolved;
    try {
      resolved = await confirmations.resolveConfirmation({
        userId: caller.identity.userId,
        sessionId: caller.identity.sessionId ?? '',
        decision: input.decision,
        ...(input.confirmationId !== undefined ? { confirmationId: input.confirmationId } : {}),
        ...(input.confirmationId === undefined && input.query !== undefined ? { query: input.query } : {}),
        ...(input.plan !== undefined ? { plan: input.plan } : {}),
      });
    } catch (err) {
      await record(caller, `assistant.${input.decision}`, requestData, summarizeError(err));
      throw err;
    }
    // A compound confirmation runs its bound per-target operations, never as one plan.
    if (deps.compound?.isCompound(resolved.plan)) return deps.compound.complete(caller, resolved);
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
      await record(caller, 'assistant.decline', requestData, {
        confirmation_id: resolved.confirmationId,
        plan: resolved.plan,
        ran: false,
      });
      await history.save(caller.identity, resolved.query, output);
      return { ...base, status: 'declined', message: 'Nothing was run.', output };
    }
    await record(caller, 'assistant.accept', requestData, {
      confirmation_id: resolved.confirmationId,
      plan: resolved.plan,
    });
    const run = await runPlan(
      caller,
      resolved.query,
      resolved.plan,
      resolved.command,
      planner.classifyPlan(resolved.plan).risk,
    );
    return {
      ...base,
      status: 'accepted',
      message: 'Ran the confirmed command.',
      output: run.output,
      result: run.result,
    };
  }

  return { plan, ask, confirm };
}
