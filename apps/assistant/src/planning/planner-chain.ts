import { InputError, withSpan, withSyncSpan } from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { ValidatedPlan } from '../aws-models/plan-validator.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { BuiltInPlanner } from './builtin-planner.ts';
import { NotUnderstoodError } from './builtin-planner.ts';
import type { LiteralPlanner } from './literal-planner.ts';
import type { LlmPlanner } from './llm-planner.ts';
import type { PlannerName } from './plan.ts';
import { renderCommand } from './render-command.ts';

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
}

export interface PlannerChain {
  planRequest(input: PlanRequestInput): Promise<PlanResult>;
}

export interface PlannerChainOptions {
  catalog: AwsModelCatalog;
  literal: LiteralPlanner;
  builtIn: BuiltInPlanner;
  /** Optional model-backed planner, tried only when the built-in rules do not understand a request. */
  llm?: LlmPlanner;
}

const MAX_REQUEST_CHARS = 4000;

/**
 * Tries, in order: a literal `aws …` command, the built-in rules, then the LLM planner if configured.
 * Whatever produced the plan, it passes the same validation against the CLI models before anyone sees it.
 */
export function createPlannerChain({ catalog, literal, builtIn, llm }: PlannerChainOptions): PlannerChain {
  function finish(candidate: unknown, planner: PlannerName, defaultRegion: string): PlanResult {
    const validated = withSyncSpan('assistant.validate', { 'ashapp.planner': planner }, () =>
      validatePlan(catalog, candidate, { defaultRegion }),
    );
    return { ...validated, planner, command: renderCommand(catalog, validated.plan) };
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
    const builtInPlan = builtIn.plan(request, context);
    if (builtInPlan) return finish(builtInPlan, 'built-in', input.defaultRegion);

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
      if (declined) throw new NotUnderstoodError(request, builtIn.suggest(request));
      try {
        return finish(candidate, llm.name, input.defaultRegion);
      } catch (err) {
        if (err instanceof InputError) {
          throw new InputError(`the model's plan was rejected: ${err.message} Nothing was run.`, err.details);
        }
        throw err;
      }
    }
    throw new NotUnderstoodError(request, builtIn.suggest(request));
  }

  return { planRequest: (input) => withSpan('assistant.plan', {}, () => planRequest(input)) };
}
