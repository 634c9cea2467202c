import type {
  AwsModelCatalog,
  OperationModel,
  ParameterModel,
  ServiceModel,
} from '../aws-models/model-catalog.ts';
import { isPluralWord, joinCompounds, normalizeWord, PAIR_SYNONYMS, splitModelName } from './words.ts';

/** An operation's name read as words: its verb, its resource nouns, and the number of the resource. */
export interface OperationWords {
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

export function readOperationWords(operation: OperationModel): OperationWords {
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
  return { operation, verb, nouns, pairs, plural: isPluralWord(last) };
}

/** A member's nouns: `LogGroupName` → log, group; `InstanceIds` → instance; `Name` → none. */
export function readMemberWords(param: ParameterModel): { nouns: string[]; suffix: string } {
  const words = splitModelName(param.memberName).map((w) => w.toLowerCase());
  const last = words.at(-1) ?? '';
  const suffix = MEMBER_SUFFIXES.has(last) ? last.replace(/s$/, '') : '';
  const nounWords = suffix ? words.slice(0, -1) : words;
  return { nouns: joinCompounds(nounWords).map(normalizeWord), suffix };
}

export interface OperationVocabulary {
  /** Every operation of a service read as words (cached per service). */
  wordsOf(service: ServiceModel): OperationWords[];
  /** Every noun and noun pair a service's operations use (cached per service). */
  nounsOf(serviceName: string): Set<string>;
}

/**
 * Caches of the words of the services the requests have touched, per planner, held by the decoded model
 * they were read from: when the catalog drops a model (it keeps the most recently used), its words go too.
 */
export function createOperationVocabulary(catalog: AwsModelCatalog): OperationVocabulary {
  const wordsCache = new WeakMap<ServiceModel, OperationWords[]>();
  const vocabularies = new WeakMap<ServiceModel, Set<string>>();

  function wordsOf(service: ServiceModel): OperationWords[] {
    let words = wordsCache.get(service);
    if (!words) {
      words = [...service.operations.values()].map(readOperationWords);
      wordsCache.set(service, words);
    }
    return words;
  }

  function nounsOf(serviceName: string): Set<string> {
    const service = catalog.getService(serviceName);
    let vocabulary = vocabularies.get(service);
    if (!vocabulary) {
      vocabulary = new Set();
      for (const words of wordsOf(service)) {
        for (const noun of words.nouns) vocabulary.add(noun);
        for (const pair of words.pairs.keys()) vocabulary.add(pair);
      }
      vocabularies.set(service, vocabulary);
    }
    return vocabulary;
  }

  return { wordsOf, nounsOf };
}
