import type { AwsModelCatalog, OperationModel } from '../aws-models/model-catalog.ts';
import { bindParameters, type MissingMember } from './operation-binding.ts';
import type { OperationVocabulary, OperationWords } from './operation-words.ts';
import type { RequestAnalysis } from './request-analysis.ts';
import { LIGHT_NOUNS, normalizeWord, readVerb, READ_OPERATION_VERBS, type SpokenVerb } from './words.ts';

export interface RankedOperation {
  operation: OperationModel;
  score: number;
  /** Request nouns the operation's name has, and those it lacks. */
  matched: number;
  uncovered: number;
  parameters: Record<string, unknown>;
  missing: MissingMember[];
}

export interface RankingContext {
  catalog: AwsModelCatalog;
  vocabulary: OperationVocabulary;
}

/** Only the best few by words are bound to values (the costly part) and scored again. */
const RESCORE_TOP = 8;

/** What the score of one operation is read from: the request's verb, nouns and head noun. */
interface Wanted {
  analysis: RequestAnalysis;
  verb: SpokenVerb;
  requested: ReadonlySet<string>;
  verbNoun: string;
  head: string | undefined;
}

/** Marks the operation's nouns a request noun covers (itself, or a pair spelt as one word). */
function takeNoun(words: OperationWords, covered: string[], noun: string, into: string[]): boolean {
  if (words.nouns.includes(noun) && !covered.includes(noun)) {
    covered.push(noun);
    into.push(noun);
    return true;
  }
  const pair = words.pairs.get(noun);
  if (pair && !covered.includes(pair[0])) {
    covered.push(pair[0], pair[1]);
    into.push(pair[0], pair[1]);
    return true;
  }
  return false;
}

/**
 * Scores an operation's name against the request's words; undefined when it does not fit at all. Called
 * for every operation of a service per request: plain loops over small arrays, no allocation until an
 * operation fits at all.
 */
function scoreWords(
  words: OperationWords,
  { analysis, verb, requested, verbNoun, head }: Wanted,
): { score: number; matched: number; uncovered: number } | undefined {
  const verbWeight = verb.operations[words.verb];
  if (verbWeight === undefined) return undefined;
  const opNouns = words.nouns;
  const covered: string[] = [];
  const byQualifier: string[] = [];
  const sink: string[] = [];
  let matched = 0;
  for (const noun of requested) if (takeNoun(words, covered, noun, sink)) matched += 1;
  const uncovered = requested.size - matched;
  // The verb can be the noun too: "tag instance …" is CreateTags, "snapshot volume …" CreateSnapshot.
  if (verbNoun !== '' && takeNoun(words, covered, verbNoun, sink)) matched += 1;
  // An operation without nouns (lambda Invoke) fits only its own verb.
  if (matched === 0 && (opNouns.length > 0 || verbWeight < 1)) return undefined;
  const qualified = analysis.qualifiers.filter((noun) => takeNoun(words, covered, noun, byQualifier)).length;
  const extra = opNouns.reduce(
    (sum, noun) =>
      sum +
      (byQualifier.includes(noun) ? 0.6 : covered.includes(noun) ? 0 : LIGHT_NOUNS.has(noun) ? 0.2 : 1.2),
    0,
  );
  const headBonus = head !== undefined && (opNouns.includes(head) || words.pairs.has(head)) ? 2 : 0;
  const numberBonus = verb.kind === 'read' ? (words.plural === analysis.plural ? 1 : -0.5) : 0;
  const score =
    2 * verbWeight +
    3 * matched +
    0.3 * qualified -
    extra -
    0.5 * uncovered +
    (opNouns.length === 0 ? 1 : 0) +
    headBonus +
    numberBonus -
    (words.operation.deprecated ? 2 : 0);
  return { score, matched, uncovered };
}

/**
 * Operations of `serviceName` ranked for the request, best first (at most `limit`, plus `include` — an
 * operation's CLI name — wherever it ranks, when the words fit it at all).
 */
export function rankOperations(
  ctx: RankingContext,
  analysis: RequestAnalysis,
  serviceName: string,
  limit = 5,
  include?: string,
): RankedOperation[] {
  const verb = analysis.verb ?? readVerb('list');
  if (!verb) return [];
  const service = ctx.catalog.getService(serviceName);
  const verbNoun = analysis.verb ? normalizeWord(analysis.verb.word) : '';
  const wanted: Wanted = {
    analysis,
    verb,
    requested: new Set(analysis.nouns),
    verbNoun,
    // The head noun: the last of the first noun group ("build projects" → projects), or the verb when it
    // is a noun ("snapshot volume …").
    head: analysis.verb?.noun ? verbNoun : analysis.nouns.at(-1),
  };
  const scored: { words: OperationWords; score: number; matched: number; uncovered: number }[] = [];
  for (const words of ctx.vocabulary.wordsOf(service)) {
    if (words.operation.streamingInput || words.operation.streamingOutput) continue;
    const base = scoreWords(words, wanted);
    if (base !== undefined) scored.push({ words, ...base });
  }
  scored.sort((a, b) => b.score - a.score);
  const top = scored.slice(0, RESCORE_TOP);
  const extra = include ? scored.find((s) => s.words.operation.cliName === include) : undefined;
  if (extra && !top.includes(extra)) top.push(extra);
  // For a read, a required id the request does not give means another operation (a list) is meant.
  const missingPenalty = verb.kind === 'read' ? 1 : 0.4;
  const rescored = top.map(({ words, score, matched, uncovered }): RankedOperation => {
    const { parameters, missing, bound } = bindParameters(analysis, service, words);
    return {
      operation: words.operation,
      score: score + 0.8 * bound - missingPenalty * missing.length,
      matched,
      uncovered,
      parameters,
      missing,
    };
  });
  rescored.sort((a, b) => b.score - a.score || a.operation.name.localeCompare(b.operation.name));
  const kept = rescored.slice(0, limit);
  const included = rescored.find((r) => r.operation.cliName === include);
  if (included && !kept.includes(included)) kept.push(included);
  return kept;
}

/** Up to three commands of the service closest to the request's words, for "not understood" answers. */
export function suggestOperations(
  ctx: RankingContext,
  analysis: RequestAnalysis,
  serviceName: string,
): string[] {
  const service = ctx.catalog.getService(serviceName);
  const verb = analysis.verb;
  const wanted = new Set(analysis.nouns);
  const scored = ctx.vocabulary
    .wordsOf(service)
    .filter((w) => !w.operation.streamingInput && !w.operation.streamingOutput)
    .map((w) => {
      let score = w.nouns.filter((n) => wanted.has(n)).length * 2;
      if (verb && verb.operations[w.verb] !== undefined) score += 1;
      if (!verb && READ_OPERATION_VERBS.has(w.verb)) score += 0.5;
      if (w.verb === 'List') score += 0.2;
      return { w, score };
    })
    .sort((a, b) => b.score - a.score || a.w.operation.cliName.localeCompare(b.w.operation.cliName));
  return scored.slice(0, 3).map(({ w }) => `aws ${serviceName} ${w.operation.cliName}`);
}
