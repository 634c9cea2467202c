import { AppError } from '@ashapp/platform';
import type {
  AwsModelCatalog,
  OperationModel,
  ParameterModel,
  ServiceModel,
} from '../aws-models/model-catalog.ts';
import type { Plan, PlanningContext } from '../plan/plan.ts';
import { readRequestFacts } from './request-text.ts';
import { isValueToken, readRequest, type ReadRequest, type RequestValue } from './request-values.ts';
import { createServiceRecognizer, aliasKey, type ServiceMention } from './service-names.ts';
import {
  FILLER_WORDS,
  isPluralWord,
  LIGHT_NOUNS,
  PAIR_SYNONYMS,
  QUALIFYING_WORDS,
  joinCompounds,
  normalizeWord,
  readVerb,
  READ_OPERATION_VERBS,
  splitModelName,
  type SpokenVerb,
} from './words.ts';

/**
 * The planner for the whole AWS API, built on the service models: the service from the names the request
 * uses, the operation from its verb and resource nouns against the operation names, and the identifiers
 * it states bound to the operation's members by their names. Required members the request does not give
 * are asked for (NeedsInputError), never guessed.
 */

/** A missing required member, with what the model says about it. */
export interface MissingMember {
  member: string;
  option: string;
  documentation?: string;
}

/** 400 NEEDS_INPUT: the operation is clear, but a required value is not in the request. */
export class NeedsInputError extends AppError {
  constructor(service: string, operation: string, missing: MissingMember[]) {
    const list = missing
      .map((m) => `--${m.option}${m.documentation ? ` (${m.documentation})` : ''}`)
      .join('; ');
    super(
      400,
      'NEEDS_INPUT',
      `To run aws ${service} ${operation} I need ${list}. Say it again with ${missing.length > 1 ? 'these values' : 'that value'}.`,
      { service, operation, missing },
    );
  }
}

/** What the planner read from a request, shared with the planner chain's checks. */
export interface RequestAnalysis {
  read: ReadRequest;
  /** The service the request names, if any. */
  mention: ServiceMention | undefined;
  verb: SpokenVerb | undefined;
  /** Normalised resource nouns, in the order said (before any "of/in/for"). */
  nouns: string[];
  /** Nouns after "of/in/for…": they qualify the resource and are usually bound to members. */
  qualifiers: string[];
  /** Whether the first resource noun was said in the plural. */
  plural: boolean;
  region: string | undefined;
}

export interface RankedOperation {
  operation: OperationModel;
  score: number;
  /** Request nouns the operation's name has, and those it lacks. */
  matched: number;
  uncovered: number;
  parameters: Record<string, unknown>;
  missing: MissingMember[];
}

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

interface OperationWords {
  operation: OperationModel;
  verb: string;
  nouns: string[];
  /** Adjacent noun pairs spelt as one word ("work group" → workgroup). */
  pairs: Map<string, [string, string]>;
  plural: boolean;
}

const CONNECTORS = new Set([
  'for',
  'by',
  'from',
  'to',
  'with',
  'and',
  'of',
  'in',
  'on',
  'the',
  'a',
  'an',
  'as',
]);
const MEMBER_SUFFIXES = new Set([
  'name',
  'names',
  'id',
  'ids',
  'arn',
  'arns',
  'identifier',
  'identifiers',
  'url',
  'urls',
]);
const TIE = 0.05;
const PAGE_SIZE_MEMBERS = new Set([
  'MaxResults',
  'MaxRecords',
  'MaxItems',
  'Limit',
  'maxResults',
  'limit',
  'PageSize',
]);
const RESCORE_TOP = 8;

function operationWords(operation: OperationModel): OperationWords {
  const words = splitModelName(operation.name);
  const batch = words[0] === 'Batch' && words.length > 1 ? `Batch${words[1] ?? ''}` : undefined;
  const verb = batch ?? (words[0] as string);
  const rest = words.slice(batch ? 2 : 1).map((w) => w.toLowerCase());
  const nouns = joinCompounds(rest)
    .filter((w) => !CONNECTORS.has(w))
    .map(normalizeWord);
  // Number is the resource's: the last word before "By/For/…" ("GetParametersByPath" lists parameters).
  const connector = rest.findIndex((w) => CONNECTORS.has(w));
  const last = (connector > 0 ? rest[connector - 1] : rest.at(-1)) ?? '';
  const pairs = new Map<string, [string, string]>();
  for (let i = 0; i + 1 < nouns.length; i++) {
    const pair: [string, string] = [nouns[i] as string, nouns[i + 1] as string];
    const joined = pair.join('');
    pairs.set(joined, pair);
    const synonym = PAIR_SYNONYMS[joined];
    if (synonym !== undefined && !nouns.includes(synonym)) pairs.set(synonym, pair);
  }
  return {
    operation,
    verb,
    nouns,
    pairs,
    plural: isPluralWord(last),
  };
}

/** A member's nouns: `LogGroupName` → log, group; `InstanceIds` → instance; `Name` → none. */
function memberWords(param: ParameterModel): { nouns: string[]; suffix: string } {
  const words = splitModelName(param.memberName).map((w) => w.toLowerCase());
  const last = words.at(-1) ?? '';
  const suffix = MEMBER_SUFFIXES.has(last) ? last.replace(/s$/, '') : '';
  const nounWords = suffix ? words.slice(0, -1) : words;
  return { nouns: joinCompounds(nounWords).map(normalizeWord), suffix };
}

export interface ModelPlannerOptions {
  catalog: AwsModelCatalog;
}

export function createModelPlanner({ catalog }: ModelPlannerOptions): ModelPlanner {
  let recognizer: ReturnType<typeof createServiceRecognizer> | undefined;
  const wordsCache = new Map<string, OperationWords[]>();

  function getRecognizer(): ReturnType<typeof createServiceRecognizer> {
    recognizer ??= createServiceRecognizer(catalog.listServiceSummaries());
    return recognizer;
  }

  function serviceWords(service: ServiceModel): OperationWords[] {
    let words = wordsCache.get(service.cliName);
    if (!words) {
      words = [...service.operations.values()].map(operationWords);
      wordsCache.set(service.cliName, words);
    }
    return words;
  }

  const vocabularies = new Map<string, Set<string>>();
  function serviceVocabulary(serviceName: string): Set<string> {
    let vocabulary = vocabularies.get(serviceName);
    if (!vocabulary) {
      vocabulary = new Set();
      for (const words of serviceWords(catalog.getService(serviceName))) {
        for (const noun of words.nouns) vocabulary.add(noun);
        for (const pair of words.pairs.keys()) vocabulary.add(pair);
      }
      vocabularies.set(serviceName, vocabulary);
    }
    return vocabulary;
  }

  function analyse(request: string): RequestAnalysis {
    const services = getRecognizer();
    const facts = readRequestFacts(request);
    const withoutRegion = facts.region ? request.replace(new RegExp(facts.region, 'i'), ' ') : request;
    const read = readRequest(withoutRegion, (word) =>
      services.isKnownName(aliasKey(word.split(/[^A-Za-z0-9]+/))),
    );
    const plainTokens = read.tokens.map((t) => (isValueToken(t) ? '' : t));
    const mentions = services.findMentions(plainTokens);
    const mention = services.pickService(mentions);
    let verb: SpokenVerb | undefined;
    let verbAt = -1;
    for (let i = 0; i < read.tokens.length && i < 6; i++) {
      const found = readVerb(read.tokens[i] as string);
      if (found && !mentions.some((m) => i >= m.start && i < m.end)) {
        verb = found;
        verbAt = i;
        break;
      }
    }
    // "shut down", "set up", "spin up", "turn off/on" are verbs of two words.
    const pairs = read.tokens.join(' ');
    if (!verb || verbAt > 0) {
      if (/\b(shut down|turn off|power off)\b/.test(pairs)) verb = readVerb('stop');
      else if (/\b(spin up|set up|stand up)\b/.test(pairs)) verb = readVerb('create');
      else if (/\b(turn on|power on|boot)\b/.test(pairs)) verb = readVerb('start');
    }
    // The words of the service's name are not resource nouns; in a noun mention ("ssm parameter") only the
    // service-name words are dropped. A weak mention of another service ("events") stays a noun.
    const nameTokens = new Set<number>();
    for (const m of mentions) {
      if (m.service !== mention?.service || (m.weak && m !== mention)) continue;
      for (let i = m.start; i < m.end; i++) {
        if (m.kind === 'name' || services.isServiceName(aliasKey([read.tokens[i] as string])))
          nameTokens.add(i);
      }
    }
    let picked = mention;
    // EC2 ids name their service even when the request does not ("delete snapshot snap-…").
    if (!picked && read.values.some((v) => v.kind === 'id' && !v.text.startsWith('Z'))) {
      picked = { service: 'ec2', start: 0, end: 0, kind: 'noun', weak: true, impliedNouns: [] };
    }
    const vocabulary = picked ? serviceVocabulary(picked.service) : undefined;
    const nouns: string[] = [];
    const qualifiers: string[] = [];
    let plural = false;
    let qualifying = false;
    read.tokens.forEach((token, index) => {
      if (QUALIFYING_WORDS.has(token) && (nouns.length > 0 || [...nameTokens].some((i) => i < index))) {
        qualifying = true;
      }
      if (index === verbAt || nameTokens.has(index) || isValueToken(token)) return;
      if (FILLER_WORDS.has(token) || /^\d+$/.test(token)) return;
      const normal = normalizeWord(token);
      // A word the service's operations never use, said right after one they do, is a name ("stream clicks").
      const before = read.tokens[index - 1];
      if (
        vocabulary &&
        !vocabulary.has(normal) &&
        before !== undefined &&
        vocabulary.has(normalizeWord(before)) &&
        (index === read.tokens.length - 1 || FILLER_WORDS.has(read.tokens[index + 1] as string))
      ) {
        read.values.push({
          text: read.typed[index] as string,
          kind: 'name',
          nouns: [normalizeWord(before)],
          position: index,
          explicit: false,
        });
        return;
      }
      if (qualifying) {
        qualifiers.push(normal);
        return;
      }
      if (isPluralWord(token)) plural = true;
      nouns.push(normal);
    });
    const compounds = joinCompounds(nouns);
    if (compounds.length === 0 && picked) {
      if (picked.impliedNouns.length > 0) {
        compounds.push(...picked.impliedNouns.map(normalizeWord));
        plural = true;
      } else if (picked.kind === 'name' && picked.end > picked.start) {
        // "list storage gateways", "list global accelerators": the service's name ends with its resource.
        const last = read.tokens[picked.end - 1] as string;
        compounds.push(normalizeWord(last));
        plural = isPluralWord(last);
      }
    }
    return { read, mention: picked, verb, nouns: compounds, qualifiers, plural, region: facts.region };
  }

  function baseScore(
    analysis: RequestAnalysis,
    words: OperationWords,
    verb: SpokenVerb,
    requested: ReadonlySet<string>,
    verbNoun: string,
    head: string | undefined,
  ): { score: number; matched: number; uncovered: number } | undefined {
    const verbWeight = verb.operations[words.verb];
    if (verbWeight === undefined) return undefined;
    // Called for every operation of a service per request: plain loops over small arrays, no allocation
    // until an operation fits at all.
    const opNouns = words.nouns;
    const covered: string[] = [];
    const byQualifier: string[] = [];
    const take = (noun: string, into: string[]): boolean => {
      if (opNouns.includes(noun) && !covered.includes(noun)) {
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
    };
    const sink: string[] = [];
    let matched = 0;
    let uncovered = 0;
    for (const noun of requested) {
      if (take(noun, sink)) matched += 1;
      else uncovered += 1;
    }
    // The verb can be the noun too: "tag instance …" is CreateTags, "snapshot volume …" CreateSnapshot.
    if (verbNoun !== '' && take(verbNoun, sink)) matched += 1;
    // An operation without nouns (lambda Invoke) fits only its own verb.
    if (matched === 0 && (opNouns.length > 0 || verbWeight < 1)) return undefined;
    let qualified = 0;
    for (const noun of analysis.qualifiers) if (take(noun, byQualifier)) qualified += 1;
    let extra = 0;
    for (const noun of opNouns) {
      if (byQualifier.includes(noun)) extra += 0.6;
      else if (!covered.includes(noun)) extra += LIGHT_NOUNS.has(noun) ? 0.2 : 1.2;
    }
    let score =
      2 * verbWeight +
      3 * matched +
      0.3 * qualified -
      extra -
      0.5 * uncovered +
      (opNouns.length === 0 ? 1 : 0);
    if (head !== undefined && (opNouns.includes(head) || words.pairs.has(head))) score += 2;
    if (verb.kind === 'read') score += words.plural === analysis.plural ? 1 : -0.5;
    if (words.operation.deprecated) score -= 2;
    return { score, matched, uncovered };
  }

  function bind(
    analysis: RequestAnalysis,
    service: ServiceModel,
    words: OperationWords,
  ): { parameters: Record<string, unknown>; missing: MissingMember[]; bound: number } {
    const parameters: Record<string, unknown> = {};
    const missing: MissingMember[] = [];
    const used = new Set<RequestValue>();
    const opNouns = new Set(words.nouns);
    const params = [...words.operation.parameters.values()].sort(
      (a, b) => Number(b.required) - Number(a.required),
    );
    for (const param of params) {
      const value = findValue(analysis, service, opNouns, param, used);
      if (value) {
        used.add(value);
        parameters[param.memberName] = param.shape.type === 'list' ? [value.text] : value.text;
        continue;
      }
      const plain = findPlainName(analysis, param);
      if (plain !== undefined) {
        parameters[param.memberName] = param.shape.type === 'list' ? [plain] : plain;
        continue;
      }
      if (!param.required) continue;
      // A required page size is not a choice the user makes: the largest page the model allows.
      if (PAGE_SIZE_MEMBERS.has(param.memberName) && ['integer', 'long'].includes(param.shape.type)) {
        parameters[param.memberName] = Math.min(param.shape.max ?? 60, 1000);
        continue;
      }
      missing.push({
        member: param.memberName,
        option: param.cliName,
        ...(param.documentation ? { documentation: param.documentation } : {}),
      });
    }
    return { parameters, missing, bound: used.size };
  }

  function findValue(
    analysis: RequestAnalysis,
    service: ServiceModel,
    opNouns: ReadonlySet<string>,
    param: ParameterModel,
    used: ReadonlySet<RequestValue>,
  ): RequestValue | undefined {
    const { nouns, suffix } = memberWords(param);
    const scalar = ['string', 'list'].includes(param.shape.type);
    if (!scalar) return undefined;
    if (param.shape.type === 'list') {
      // Lists of ids take ids; lists of structures are never filled from words.
      const memberShape = service.shapes[param.shape.member?.shape ?? ''];
      if (memberShape?.type !== 'string') return undefined;
    }
    const fits = (value: RequestValue): boolean => {
      if (used.has(value)) return false;
      const refersTo = (candidates: readonly string[]): boolean =>
        nouns.length === 0
          ? candidates.some((n) => opNouns.has(n)) || candidates.length === 0
          : candidates.some((n) => nouns.includes(n) || nouns.join('') === n);
      switch (value.kind) {
        case 'arn':
          if (suffix === 'arn')
            return nouns.length === 0 || value.nouns.length === 0 || refersTo(value.nouns);
          return (
            (suffix === 'name' || suffix === 'identifier' || suffix === '') &&
            param.required &&
            refersTo(value.nouns)
          );
        case 'url':
          return suffix === 'url';
        case 'account':
          return nouns.includes('account') && suffix === 'id';
        case 'id':
          return (suffix === 'id' || suffix === 'identifier' || suffix === '') && refersTo(value.nouns);
        case 'name':
        case 'path':
          if (suffix === 'arn' || suffix === 'url') return false;
          if (!param.required && !refersTo(value.nouns)) return false;
          if (value.nouns.length === 0)
            return param.required && (nouns.length === 0 || nouns.every((n) => opNouns.has(n)));
          return (
            refersTo(value.nouns) ||
            (nouns.length > 0 &&
              nouns.every((n) => opNouns.has(n)) &&
              value.nouns.some((n) => opNouns.has(n)))
          );
      }
    };
    return analysis.read.values.find(fits);
  }

  /** A plain word said right after the member's noun ("for user admin" → UserName admin). */
  function findPlainName(analysis: RequestAnalysis, param: ParameterModel): string | undefined {
    const { nouns, suffix } = memberWords(param);
    if (nouns.length === 0 || !['name', 'identifier', ''].includes(suffix) || param.shape.type !== 'string')
      return undefined;
    const tokens = analysis.read.tokens;
    const last = nouns.at(-1) as string;
    for (let i = 0; i + 1 < tokens.length; i++) {
      if (normalizeWord(tokens[i] as string) !== last) continue;
      const next = tokens[i + 1] as string;
      if (isValueToken(next) || FILLER_WORDS.has(next) || readVerb(next)) continue;
      if (i + 2 < tokens.length && !FILLER_WORDS.has(tokens[i + 2] as string)) continue;
      return analysis.read.typed[i + 1];
    }
    return undefined;
  }

  function rank(
    analysis: RequestAnalysis,
    serviceName: string,
    limit = 5,
    include?: string,
  ): RankedOperation[] {
    const verb = analysis.verb ?? readVerb('list');
    if (!verb) return [];
    const service = catalog.getService(serviceName);
    const scored: { words: OperationWords; score: number; matched: number; uncovered: number }[] = [];
    const requested = new Set(analysis.nouns);
    const verbNoun = analysis.verb ? normalizeWord(analysis.verb.word) : '';
    // The head noun: the last of the first noun group ("build projects" → projects), or the verb when it
    // is a noun ("snapshot volume …").
    const head = analysis.verb?.noun ? verbNoun : analysis.nouns.at(-1);
    for (const words of serviceWords(service)) {
      if (words.operation.streamingInput || words.operation.streamingOutput) continue;
      const base = baseScore(analysis, words, verb, requested, verbNoun, head);
      if (base !== undefined) scored.push({ words, ...base });
    }
    scored.sort((a, b) => b.score - a.score);
    const top = scored.slice(0, RESCORE_TOP);
    const extra = include ? scored.find((s) => s.words.operation.cliName === include) : undefined;
    if (extra && !top.includes(extra)) top.push(extra);
    const rescored = top.map(({ words, score, matched, uncovered }) => {
      const { parameters, missing, bound } = bind(analysis, service, words);
      // For a read, a required id the request does not give means another operation (a list) is meant.
      const missingPenalty = verb.kind === 'read' ? 1 : 0.4;
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

  function suggestOperations(analysis: RequestAnalysis, serviceName: string): string[] {
    const service = catalog.getService(serviceName);
    const verb = analysis.verb;
    const wanted = new Set(analysis.nouns);
    const scored = serviceWords(service)
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

  function plan(request: string, context: PlanningContext, given?: RequestAnalysis): ModelPlanOutcome {
    const analysis = given ?? analyse(request);
    const mention = analysis.mention;
    if (!mention) return { kind: 'none', service: undefined, suggestions: [] };
    const ranked = rank(analysis, mention.service, 3);
    const best = ranked[0];
    if (!best || analysis.nouns.length === 0) {
      return {
        kind: 'none',
        service: mention.service,
        suggestions: suggestOperations(analysis, mention.service),
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

  return { analyse, rank, plan };
}
