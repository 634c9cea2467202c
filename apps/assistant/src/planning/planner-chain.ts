import { InputError, withSpan, withSyncSpan } from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { ValidatedPlan } from '../aws-models/plan-validator.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { BuiltInPlanner } from './builtin-planner.ts';
import { NotUnderstoodError } from './builtin-planner.ts';
import type { LiteralPlanner } from './literal-planner.ts';
import type { LlmPlanner } from './llm-planner.ts';
import type { ModelPlanner, RequestAnalysis } from './model-planner.ts';
import type { Plan, PlannerName } from '../plan/plan.ts';
import { renderCommand } from './render-command.ts';
import { classifyOperation, type ReadOnlyVerdict } from '../safety/read-only.ts';

export interface PlanRequestInput {
  request: string;
  defaultRegion: string;
  credentials?: AwsSigningKeys;
  signal?: AbortSignal;
}

export interface PlanResult extends ValidatedPlan {
  planner: PlannerName;
  /** The equivalent `aws …` command line, quoted for display. */
  command: string;
  /**
   * Other operations that fit the request exactly as well as `plan` (the user picks one). Present only when
   * the request is ambiguous; nothing runs until the user says which.
   */
  choices?: PlanResult[];
}

export interface PlannerChain {
  planRequest(input: PlanRequestInput): Promise<PlanResult>;
  /** Read, secret or change, for a plan already validated (a held confirmation's plan). */
  classifyPlan(plan: Plan): ReadOnlyVerdict;
}

export interface PlannerChainOptions {
  catalog: AwsModelCatalog;
  literal: LiteralPlanner;
  builtIn: BuiltInPlanner;
  /** The planner over every service's model (tried after the built-in rules, and checks them). */
  model?: ModelPlanner;
  /** Optional model-backed planner, tried only when the built-in rules do not understand a request. */
  llm?: LlmPlanner;
}

const MAX_REQUEST_CHARS = 4000;

/**
 * Tries, in order: a literal `aws …` command, the built-in rules, then the LLM planner if configured.
 * Whatever produced the plan, it passes the same validation against the CLI models before anyone sees it.
 */
export function createPlannerChain({
  catalog,
  literal,
  builtIn,
  model,
  llm,
}: PlannerChainOptions): PlannerChain {
  function finish(candidate: unknown, planner: PlannerName, defaultRegion: string): PlanResult {
    const validated = withSyncSpan('assistant.validate', { 'ashapp.planner': planner }, () =>
      validatePlan(catalog, candidate, { defaultRegion }),
    );
    return { ...validated, planner, command: renderCommand(catalog, validated.plan) };
  }

  /**
   * Whether a built-in rule's plan answers the request: never for another service than the one the request
   * names, and never a different change than the one the models say the request asks for ("create an
   * access key for user admin" is not create-user).
   */
  function builtInFits(plan: Plan, analysis: RequestAnalysis | undefined): boolean {
    if (!model || !analysis) return true;
    const mention = analysis.mention;
    if (mention && !mention.weak && mention.service !== plan.service) return false;
    const writing = analysis.verb?.kind === 'write';
    // A change request is never answered with a read ("take a snapshot of …" is not describe-snapshots).
    if (writing && isReadOnlyPlan(plan)) return false;
    if (!mention || mention.service !== plan.service) return true;
    const ranked = model.rank(analysis, plan.service, 1, plan.operation);
    const best = ranked[0];
    if (!best || best.operation.cliName === plan.operation) return true;
    const own = ranked.find((r) => r.operation.cliName === plan.operation);
    // The models rank another operation of the same service clearly higher: for a change that is a
    // different change ("create an access key for user admin" is not create-user); for a read, a rule that
    // matched a word of a longer noun ("container instances in cluster prod" is not describe-clusters).
    if (writing) return own === undefined ? best.score < 6 : best.score - own.score < 2;
    return own !== undefined || best.matched < 2 || best.uncovered > 0;
  }

  function isReadOnlyPlan(plan: Plan): boolean {
    try {
      const service = catalog.getService(plan.service);
      return classifyOperation(
        `${service.modelName}:${catalog.getOperation(plan.service, plan.operation).name}`,
      ).readOnly;
    } catch {
      return false;
    }
  }

  function fromModel(
    request: string,
    analysis: RequestAnalysis,
    defaultRegion: string,
  ): PlanResult | { none: string[]; service: string | undefined } {
    if (!model) return { none: [], service: undefined };
    const outcome = model.plan(request, { defaultRegion }, analysis);
    if (outcome.kind === 'none') return { none: outcome.suggestions, service: outcome.service };
    const first = finish(outcome.plan, 'models', defaultRegion);
    const choices = outcome.alternatives.flatMap((alternative) => {
      try {
        return [finish(alternative, 'models', defaultRegion)];
      } catch {
        return [];
      }
    });
    return choices.length > 0 ? { ...first, choices } : first;
  }

  async function planRequest(input: PlanRequestInput): Promise<PlanResult> {
    const request = input.request.trim();
    if (request === '') throw new InputError('the request is empty');
    if (request.length > MAX_REQUEST_CHARS)
      throw new InputError(`the request is longer than ${MAX_REQUEST_CHARS} characters`);
    const context = { defaultRegion: input.defaultRegion };

    if (literal.looksLikeCommand(request)) {
      return finish(literal.parseCommand(request, context), 'literal', input.defaultRegion);
    }
    const analysis = model?.analyse(request);
    let builtInPlan: Plan | undefined;
    try {
      builtInPlan = builtIn.plan(request, context);
    } catch (err) {
      // A rule that wants more detail about another service's resource does not speak for this request.
      if (!(err instanceof InputError) || !analysis?.mention || analysis.mention.weak) throw err;
    }
    if (builtInPlan && builtInFits(builtInPlan, analysis)) {
      return finish(builtInPlan, 'built-in', input.defaultRegion);
    }
    let suggestions: string[] | undefined;
    let namedService: string | undefined;
    if (analysis) {
      const planned = fromModel(request, analysis, input.defaultRegion);
      if ('plan' in planned) return planned;
      if (planned.service) {
        suggestions = planned.none;
        namedService = planned.service;
      }
    }

    if (llm) {
      const candidate = await llm.proposePlan({
        request,
        defaultRegion: input.defaultRegion,
        ...(input.credentials ? { credentials: input.credentials } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      const declined =
        typeof candidate === 'object' &&
        candidate !== null &&
        (candidate as { service?: unknown }).service === 'none';
      if (declined) throw new NotUnderstoodError(request, suggestions ?? builtIn.suggest(request));
      try {
        const planned = finish(candidate, llm.name, input.defaultRegion);
        // The request named a service: a plan for another one is no answer.
        if (namedService && planned.plan.service !== namedService) {
          throw new NotUnderstoodError(request, suggestions ?? []);
        }
        return planned;
      } catch (err) {
        if (err instanceof InputError) {
          throw new InputError(`the model's plan was rejected: ${err.message} Nothing was run.`, err.details);
        }
        throw err;
      }
    }
    throw new NotUnderstoodError(request, suggestions ?? builtIn.suggest(request));
  }

  function classifyPlan(plan: Plan): ReadOnlyVerdict {
    const service = catalog.getService(plan.service);
    const operation = catalog.getOperation(plan.service, plan.operation);
    return classifyOperation(`${service.modelName}:${operation.name}`, {
      sensitiveOutput: operation.sensitiveOutput,
      parameters: plan.parameters,
    });
  }

  return {
    planRequest: (input) => withSpan('assistant.plan', {}, () => planRequest(input)),
    classifyPlan,
  };
}
