import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { Plan, PlanningContext } from '../plan/plan.ts';
import { NeedsInputError } from './operation-binding.ts';
import {
  rankOperations,
  suggestOperations,
  type RankedOperation,
  type RankingContext,
} from './operation-ranking.ts';
import { createOperationVocabulary } from './operation-words.ts';
import { analyseRequest, type RequestAnalysis } from './request-analysis.ts';
import { createServiceRecognizer, type ServiceRecognizer } from './service-names.ts';

export { NeedsInputError, type MissingMember } from './operation-binding.ts';
export type { RankedOperation } from './operation-ranking.ts';
export type { RequestAnalysis } from './request-analysis.ts';

/**
 * The planner for the whole AWS API, built on the service models: the service from the names the request
 * uses (request-analysis.ts), the operation from its verb and resource nouns against the operation names
 * (operation-ranking.ts), and the identifiers it states bound to the operation's members by their names
 * (operation-binding.ts). Required members the request does not give are asked for (NeedsInputError),
 * never guessed.
 */

export type ModelPlanOutcome =
  | { kind: 'plan'; plan: Plan; alternatives: Plan[] }
  | { kind: 'none'; service: string | undefined; suggestions: string[] };

export interface ModelPlanner {
  analyse(request: string): RequestAnalysis;
  /**
   * Operations of `service` ranked for the request, best first (at most `limit`, plus `include` — an
   * operation's CLI name — wherever it ranks, when the words fit it at all).
   */
  rank(analysis: RequestAnalysis, service: string, limit?: number, include?: string): RankedOperation[];
  plan(request: string, context: PlanningContext, analysis?: RequestAnalysis): ModelPlanOutcome;
}

export interface ModelPlannerOptions {
  catalog: AwsModelCatalog;
}

/** Two operations scoring within this of each other are both offered (`choices`). */
const TIE = 0.05;

function planFromRanking(
  ctx: RankingContext,
  analysis: RequestAnalysis,
  context: PlanningContext,
): ModelPlanOutcome {
  const mention = analysis.mention;
  if (!mention) return { kind: 'none', service: undefined, suggestions: [] };
  const ranked = rankOperations(ctx, analysis, mention.service, 3);
  const best = ranked[0];
  if (!best || analysis.nouns.length === 0) {
    return {
      kind: 'none',
      service: mention.service,
      suggestions: suggestOperations(ctx, analysis, mention.service),
    };
  }
  const region = analysis.region ?? context.defaultRegion;
  const toPlan = (r: RankedOperation): Plan => ({
    service: mention.service,
    operation: r.operation.cliName,
    parameters: r.parameters,
    region,
  });
  const ties = ranked.filter((r) => best.score - r.score < TIE && r.missing.length === 0);
  if (best.missing.length > 0 && ties.length === 0) {
    throw new NeedsInputError(mention.service, best.operation.cliName, best.missing);
  }
  const [first, ...others] = ties.length > 0 ? ties : [best];
  return { kind: 'plan', plan: toPlan(first as RankedOperation), alternatives: others.map(toPlan) };
}

export function createModelPlanner({ catalog }: ModelPlannerOptions): ModelPlanner {
  const vocabulary = createOperationVocabulary(catalog);
  const ranking: RankingContext = { catalog, vocabulary };
  // The service names are read from the index on the first request, not when the planner is built.
  let recognizer: ServiceRecognizer | undefined;
  const services = (): ServiceRecognizer =>
    (recognizer ??= createServiceRecognizer(catalog.listServiceSummaries()));
  const analyse = (request: string): RequestAnalysis =>
    analyseRequest({ services: services(), vocabulary }, request);

  return {
    analyse,
    rank: (analysis, service, limit, include) => rankOperations(ranking, analysis, service, limit, include),
    plan: (request, context, given) => planFromRanking(ranking, given ?? analyse(request), context),
  };
}
