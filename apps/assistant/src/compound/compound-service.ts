import { createHash } from 'node:crypto';
import {
  AppError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotAuthenticatedError,
  type AuditOutbox,
} from '@ashapp/platform';
import type { AskView, Caller, ConfirmView, PlanReplyView } from '../assistant/views.ts';
import { toRunView, type RunView } from '../assistant/run-view.ts';
import type { AwsCliExecutor, CliRunResult } from '../aws-cli/cli-executor.ts';
import { renderTable } from '../aws-cli/render-output.ts';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { HistoryRecorder } from '../history/history-recorder.ts';
import type { Plan } from '../plan/plan.ts';
import { renderCommand } from '../planning/render-command.ts';
import { buildConsoleUrl } from '../reference/console-links.ts';
import type { ConfirmationService, ResolvedConfirmation } from '../safety/confirmation-service.ts';
import { classifyOperation } from '../safety/read-only.ts';
import type { SafetyPolicy } from '../safety/safety-rules.ts';
import { matchCompoundRequest, type CompoundMatch } from './compound-patterns.ts';
import type { CompoundOutcomeView, CompoundTargetView, CompoundView } from './compound-view.ts';

export type { CompoundOutcomeView, CompoundTargetView, CompoundView } from './compound-view.ts';
import { recordCallerEvent } from '../assistant/caller-audit.ts';

/**
 * The `service` of a confirmation that holds a compound binding. It cannot be an AWS CLI service name (no
 * planner can produce it: validation knows only the CLI's services), so nothing but this module runs it.
 */
export const COMPOUND_SERVICE = 'ashapp:compound';
/** More targets than this are refused: a change that wide should be narrowed, not confirmed at a glance. */
export const MAX_COMPOUND_TARGETS = 100;

export interface CompoundService {
  match(query: string): CompoundMatch | undefined;
  /** Validates the read step and the kind of change; runs nothing. */
  plan(caller: Caller, query: string, match: CompoundMatch): Promise<PlanReplyView>;
  ask(caller: Caller, query: string, match: CompoundMatch): Promise<AskView>;
  isCompound(plan: Plan): boolean;
  /** Runs (accept) or drops (decline) a resolved compound confirmation. */
  complete(caller: Caller, resolved: ResolvedConfirmation): Promise<ConfirmView>;
}

export interface CompoundServiceDeps {
  catalog: AwsModelCatalog;
  executor: AwsCliExecutor;
  policy: SafetyPolicy;
  confirmations: ConfirmationService;
  history: HistoryRecorder;
  audit: AuditOutbox;
}

interface BoundTargets {
  read: Plan;
  action: string;
  description: string;
  targets: CompoundTargetView[];
}

function digestOf(targets: readonly { plan: Plan }[]): string {
  return createHash('sha256')
    .update(JSON.stringify(targets.map((t) => t.plan)))
    .digest('hex');
}

function errorSummary(err: unknown): { code: string; message: string } {
  if (err instanceof AppError && err.expose) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'the request failed' };
}

/**
 * Compound requests: a read whose result selects the targets of a change ("stop all running instances
 * tagged env=dev"). The ask runs the read, shows it and the exact change per target, and holds one
 * confirmation bound (HMAC, see the confirmation service) to exactly those per-target operations. Accept
 * reads again and runs the bound operations on the targets that still match — never any other target,
 * never any other operation (docs/adr/0017-compound-requests.md).
 */
export function createCompoundService(deps: CompoundServiceDeps): CompoundService {
  const { catalog, executor, policy, confirmations, history, audit } = deps;

  const record = (
    caller: Caller,
    action: string,
    requestData: Record<string, unknown>,
    responseSummary: Record<string, unknown>,
  ) => recordCallerEvent(audit, caller, action, requestData, responseSummary);

  function checkAllowed(caller: Caller, action: string, cliAction: string): void {
    const decision = policy.decide({
      action,
      cliAction,
      readOnly: classifyOperation(action).readOnly,
      roles: caller.identity.roles,
    });
    if (decision.effect === 'deny') {
      throw new NotAllowedError(`${action} is not allowed here: ${decision.reason}`, { action });
    }
  }

  async function runTimed(caller: Caller, plan: Plan): Promise<CliRunResult> {
    const started = performance.now();
    try {
      return await executor.run(plan, caller.credentials);
    } finally {
      if (caller.timing) caller.timing.cliMs += performance.now() - started;
    }
  }

  /** Validates the read and every change, checks the rules, runs the read and selects the targets. */
  async function resolve(
    caller: Caller,
    match: CompoundMatch,
  ): Promise<{ read: Plan; readResult: CliRunResult; targets: CompoundTargetView[] }> {
    const region = caller.credentials.region;
    const validatedRead = validatePlan(catalog, { ...match.read, region });
    if (!classifyOperation(validatedRead.action).readOnly) {
      throw new InputError(`the read step ${validatedRead.action} is not read-only`);
    }
    checkAllowed(
      caller,
      validatedRead.action,
      `${validatedRead.plan.service}:${validatedRead.plan.operation}`,
    );
    // A change the rules deny is refused before anything is read (and checked again per target below).
    const probe = validatePlan(catalog, { ...match.change({ id: 'probe', label: '' }), region });
    if (probe.action !== match.changeAction) {
      throw new InputError(`the change ${probe.action} is not the expected ${match.changeAction}`);
    }
    checkAllowed(caller, probe.action, `${probe.plan.service}:${probe.plan.operation}`);
    const readResult = await runTimed(caller, validatedRead.plan);
    const selected = match.select(readResult.json);
    if (selected.length > MAX_COMPOUND_TARGETS) {
      throw new InputError(
        `${selected.length} resources match; more than ${MAX_COMPOUND_TARGETS} cannot be changed in one confirmation — narrow the request`,
      );
    }
    const targets = selected.map((target) => {
      const validated = validatePlan(catalog, { ...match.change(target), region });
      if (validated.action !== match.changeAction) {
        throw new InputError(`the change ${validated.action} is not the expected ${match.changeAction}`);
      }
      checkAllowed(caller, validated.action, `${validated.plan.service}:${validated.plan.operation}`);
      return { ...target, plan: validated.plan, command: renderCommand(catalog, validated.plan) };
    });
    return { read: validatedRead.plan, readResult, targets };
  }

  function readBinding(plan: Plan): BoundTargets {
    // The stored binding verified against its HMAC before it got here; the shape is still checked.
    const p = plan.parameters as Partial<BoundTargets>;
    if (!p.read || !Array.isArray(p.targets) || typeof p.action !== 'string') {
      throw new ConflictError('the stored compound confirmation is not readable; nothing was run');
    }
    return p as BoundTargets;
  }

  async function ask(caller: Caller, query: string, match: CompoundMatch): Promise<AskView> {
    await record(caller, 'assistant.ask', { query }, { received: true, compound: match.pattern });
    let resolved;
    try {
      if (!caller.identity.sessionId) {
        throw new NotAuthenticatedError('changes need a signed-in session to confirm them: sign in again');
      }
      resolved = await resolve(caller, match);
    } catch (err) {
      await record(
        caller,
        'assistant.result',
        { query, compound: match.pattern },
        { ok: false, ...errorSummary(err) },
      );
      await history.save(caller.identity, query, `Error: ${errorSummary(err).message}`);
      throw err;
    }
    const { read, readResult, targets } = resolved;
    const readCommand = renderCommand(catalog, read);
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
      await record(
        caller,
        'assistant.result',
        { query, compound: match.pattern, read },
        { ok: true, targets: 0 },
      );
      await history.save(caller.identity, query, output);
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
    const { confirmationId, expiresAt } = await confirmations.requestConfirmation({
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
    await record(
      caller,
      'assistant.confirmation_requested',
      { query, compound: match.pattern, read, targets: targets.map((t) => t.plan) },
      { confirmation_id: confirmationId, expires_at: expiresAt.toISOString(), digest },
    );
    await history.save(caller.identity, query, output);
    return {
      ...base,
      confirmation_needed: true,
      output,
      confirmation_id: confirmationId,
      expires_at: expiresAt.toISOString(),
    };
  }

  async function complete(caller: Caller, resolved: ResolvedConfirmation): Promise<ConfirmView> {
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
        command: renderCommand(catalog, bound.read),
        result: result ?? { json: null, text: '', table: renderTable(null) },
      },
      targets: bound.targets,
      digest: digestOf(bound.targets),
      ...extra,
    });
    if (resolved.decision === 'decline') {
      const output = `Declined: nothing was run (${bound.targets.length} changes dropped).`;
      await record(caller, 'assistant.decline', requestData, {
        confirmation_id: resolved.confirmationId,
        ran: false,
      });
      await history.save(caller.identity, resolved.query, output);
      return { ...base, status: 'declined', message: 'Nothing was run.', output, compound: view({}) };
    }
    await record(caller, 'assistant.accept', requestData, {
      confirmation_id: resolved.confirmationId,
      digest: digestOf(bound.targets),
    });
    // Read again: a bound target that no longer matches (re-tagged, already stopped, deleted) is skipped.
    // Targets that appeared since are reported, never changed: only the confirmed operations can run.
    const match = matchCompoundRequest(resolved.query);
    if (
      !match ||
      JSON.stringify(validatePlan(catalog, { ...match.read, region: bound.read.region }).plan) !==
        JSON.stringify(bound.read)
    ) {
      throw new ConflictError('the confirmed request no longer reads the same way; nothing was run');
    }
    const reread = await runTimed(caller, bound.read);
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
        const run = await runTimed(caller, target.plan);
        outcomes.push({ ...entry, status: 'done', result: toRunView(run) });
        await record(
          caller,
          'assistant.result',
          { query: resolved.query, plan: target.plan, command: target.command },
          { ok: true },
        );
      } catch (err) {
        outcomes.push({ ...entry, status: 'failed', error: errorSummary(err) });
        await record(
          caller,
          'assistant.result',
          { query: resolved.query, plan: target.plan, command: target.command },
          { ok: false, ...errorSummary(err) },
        );
      }
    }
    const boundIds = new Set(bound.targets.map((t) => t.id));
    const appeared = [...current.values()].filter((t) => !boundIds.has(t.id));
    const count = (status: CompoundOutcomeView['status']) =>
      outcomes.filter((o) => o.status === status).length;
    const output = [
      `${bound.description}: ${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped.`,
      ...outcomes.map(
        (o) => `  ${o.status.padEnd(7)} ${o.command}${o.error ? `    # ${o.error.message}` : ''}`,
      ),
      ...(appeared.length > 0
        ? [`Not changed (not in the confirmation): ${appeared.map((t) => t.id).join(', ')}`]
        : []),
    ].join('\n');
    await record(caller, 'assistant.compound_result', requestData, {
      done: count('done'),
      failed: count('failed'),
      skipped: count('skipped'),
      appeared: appeared.length,
    });
    await history.save(caller.identity, resolved.query, output);
    return {
      ...base,
      status: 'accepted',
      message: `Ran ${count('done')} of the ${bound.targets.length} confirmed changes.`,
      output,
      compound: view({ outcomes, appeared }, toRunView(reread)),
    };
  }

  async function plan(caller: Caller, query: string, match: CompoundMatch): Promise<PlanReplyView> {
    const region = caller.credentials.region;
    try {
      const read = validatePlan(catalog, { ...match.read, region });
      checkAllowed(caller, read.action, `${read.plan.service}:${read.plan.operation}`);
      const probe = validatePlan(catalog, { ...match.change({ id: 'probe', label: '' }), region });
      checkAllowed(caller, probe.action, `${probe.plan.service}:${probe.plan.operation}`);
      const view = {
        plan: read.plan,
        command: renderCommand(catalog, read.plan),
        read_only: false,
        planner: 'compound' as const,
        risk: 'change' as const,
        risk_reason: 'a compound request changes every resource its read selects',
      };
      await record(
        caller,
        'assistant.plan',
        { query },
        { ok: true, compound: match.pattern, plan: read.plan },
      );
      return view;
    } catch (err) {
      await record(caller, 'assistant.plan', { query }, { ok: false, ...errorSummary(err) });
      throw err;
    }
  }

  return {
    match: matchCompoundRequest,
    plan,
    ask,
    isCompound: (plan) => plan.service === COMPOUND_SERVICE,
    complete,
  };
}
