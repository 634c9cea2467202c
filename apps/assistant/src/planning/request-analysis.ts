import type { OperationVocabulary } from './operation-words.ts';
import { readRequestFacts } from './request-text.ts';
import { isValueToken, readRequest, type ReadRequest } from './request-values.ts';
import { aliasKey, type ServiceMention, type ServiceRecognizer } from './service-names.ts';
import {
  FILLER_WORDS,
  isPluralWord,
  joinCompounds,
  normalizeWord,
  QUALIFYING_WORDS,
  readVerb,
  type SpokenVerb,
} from './words.ts';

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

export interface AnalysisContext {
  services: ServiceRecognizer;
  vocabulary: OperationVocabulary;
}

/** The first verb among the first words that is not part of a service's name, or a two-word verb. */
function findVerb(
  tokens: readonly string[],
  mentions: readonly ServiceMention[],
): { verb: SpokenVerb | undefined; at: number } {
  const at = tokens.findIndex(
    (token, i) => i < 6 && readVerb(token) !== undefined && !mentions.some((m) => i >= m.start && i < m.end),
  );
  if (at === 0) return { verb: readVerb(tokens[0] as string), at };
  // "shut down", "set up", "spin up", "turn off/on" are verbs of two words.
  const said = tokens.join(' ');
  const twoWords = /\b(shut down|turn off|power off)\b/.test(said)
    ? 'stop'
    : /\b(spin up|set up|stand up)\b/.test(said)
      ? 'create'
      : /\b(turn on|power on|boot)\b/.test(said)
        ? 'start'
        : undefined;
  if (twoWords) return { verb: readVerb(twoWords), at };
  return { verb: at >= 0 ? readVerb(tokens[at] as string) : undefined, at };
}

/**
 * The words of the service's name are not resource nouns; in a noun mention ("ssm parameter") only the
 * service-name words are dropped. A weak mention of another service ("events") stays a noun.
 */
function findNameTokens(
  services: ServiceRecognizer,
  tokens: readonly string[],
  mentions: readonly ServiceMention[],
  mention: ServiceMention | undefined,
): Set<number> {
  const nameTokens = new Set<number>();
  for (const m of mentions) {
    if (m.service !== mention?.service || (m.weak && m !== mention)) continue;
    for (let i = m.start; i < m.end; i++) {
      if (m.kind === 'name' || services.isServiceName(aliasKey([tokens[i] as string]))) nameTokens.add(i);
    }
  }
  return nameTokens;
}

interface NounReading {
  nouns: string[];
  qualifiers: string[];
  plural: boolean;
}

/** Sorts the remaining words into resource nouns, qualifiers (after of/in/for) and names said after a noun. */
function readNouns(
  read: ReadRequest,
  skip: { verbAt: number; nameTokens: ReadonlySet<number> },
  vocabulary: ReadonlySet<string> | undefined,
): NounReading {
  const reading: NounReading = { nouns: [], qualifiers: [], plural: false };
  let qualifying = false;
  read.tokens.forEach((token, index) => {
    if (
      QUALIFYING_WORDS.has(token) &&
      (reading.nouns.length > 0 || [...skip.nameTokens].some((i) => i < index))
    ) {
      qualifying = true;
    }
    if (index === skip.verbAt || skip.nameTokens.has(index) || isValueToken(token)) return;
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
      reading.qualifiers.push(normal);
      return;
    }
    if (isPluralWord(token)) reading.plural = true;
    reading.nouns.push(normal);
  });
  return reading;
}

/** Without nouns of its own, a request's resource is the one its service's name implies or ends with. */
function readImpliedNouns(
  read: ReadRequest,
  picked: ServiceMention,
): { nouns: string[]; plural: boolean } | undefined {
  if (picked.impliedNouns.length > 0) return { nouns: picked.impliedNouns.map(normalizeWord), plural: true };
  if (picked.kind === 'name' && picked.end > picked.start) {
    // "list storage gateways", "list global accelerators": the service's name ends with its resource.
    const last = read.tokens[picked.end - 1] as string;
    return { nouns: [normalizeWord(last)], plural: isPluralWord(last) };
  }
  return undefined;
}

/** Reads a request: its service, its verb, its resource nouns and qualifiers, the values it states. */
export function analyseRequest(ctx: AnalysisContext, request: string): RequestAnalysis {
  const { services } = ctx;
  const facts = readRequestFacts(request);
  const withoutRegion = facts.region ? request.replace(new RegExp(facts.region, 'i'), ' ') : request;
  const read = readRequest(withoutRegion, (word) =>
    services.isKnownName(aliasKey(word.split(/[^A-Za-z0-9]+/))),
  );
  const plainTokens = read.tokens.map((t) => (isValueToken(t) ? '' : t));
  const mentions = services.findMentions(plainTokens);
  const mention = services.pickService(mentions);
  const { verb, at: verbAt } = findVerb(read.tokens, mentions);
  const nameTokens = findNameTokens(services, read.tokens, mentions, mention);
  // EC2 ids name their service even when the request does not ("delete snapshot snap-…").
  const picked: ServiceMention | undefined =
    mention ??
    (read.values.some((v) => v.kind === 'id' && !v.text.startsWith('Z'))
      ? { service: 'ec2', start: 0, end: 0, kind: 'noun', weak: true, impliedNouns: [] }
      : undefined);
  const vocabulary = picked ? ctx.vocabulary.nounsOf(picked.service) : undefined;
  const reading = readNouns(read, { verbAt, nameTokens }, vocabulary);
  const compounds = joinCompounds(reading.nouns);
  const implied = compounds.length === 0 && picked ? readImpliedNouns(read, picked) : undefined;
  return {
    read,
    mention: picked,
    verb,
    nouns: implied ? [...compounds, ...implied.nouns] : compounds,
    qualifiers: reading.qualifiers,
    plural: implied ? implied.plural : reading.plural,
    region: facts.region,
  };
}
