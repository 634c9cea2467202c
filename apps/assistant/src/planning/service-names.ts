import type { ServiceSummary } from '../aws-models/model-catalog.ts';
import { CURATED, IGNORED_NAMES, WEAK_NAMES } from './service-aliases.ts';
import { normalizeWord } from './words.ts';

/**
 * Recognises which AWS service a request names: by its CLI name, service id, abbreviation, full name
 * (without "Amazon"/"AWS"), and a reviewed list of product names and resource nouns people use instead.
 */

/** How a request refers to a service. */
export interface ServiceMention {
  service: string;
  /** Token positions [start, end) the mention covers. */
  start: number;
  end: number;
  /**
   * `name`: the service's own name ("step functions", "ec2"): its words are not resource nouns.
   * `noun`: a resource only one service has ("state machine", "log group"): its words stay nouns.
   */
  kind: 'name' | 'noun';
  /** A weak mention (a common English word, a generic noun) counts only when nothing stronger is named. */
  weak: boolean;
  /** Resource nouns the name implies when the request gives none ("list step functions" → state machines). */
  impliedNouns: readonly string[];
}

interface AliasEntry {
  service: string;
  kind: 'name' | 'noun';
  weak: boolean;
  impliedNouns: readonly string[];
  /** Lower is preferred when two services claim the same words. */
  rank: number;
}

function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** The words of a model name as people say them: "AWS Step Functions" → "step functions". */
function spokenNames(summary: ServiceSummary): string[] {
  const names = new Set<string>();
  const add = (text: string | undefined): void => {
    if (!text) return;
    const parenthetical = /\(([^)]+)\)/.exec(text)?.[1];
    if (parenthetical) add(parenthetical);
    const words = tokenize(text.replace(/\([^)]*\)/g, ' '));
    while (words.length > 1 && ['amazon', 'aws'].includes(words[0] as string)) words.shift();
    while (words.length > 1 && ['service', 'api', 'apis'].includes(words.at(-1) as string)) words.pop();
    if (words.length > 0) names.add(words.join(' '));
  };
  names.add(summary.cliName.replace(/-/g, ' '));
  add(summary.serviceId);
  add(summary.serviceAbbreviation);
  add(summary.serviceFullName);
  return [...names];
}

/** Key of a word sequence: its normalised words joined, so "route 53", "route53", "step-functions" agree. */
export function aliasKey(words: readonly string[]): string {
  return words.map(normalizeWord).join('');
}

export interface ServiceRecognizer {
  /** Every mention of a service in the (normalised, lower-case) tokens, longest first where they overlap. */
  findMentions(tokens: readonly string[]): ServiceMention[];
  /** The service the request is about: the first strong name, a strong resource noun, else a weak one. */
  pickService(mentions: readonly ServiceMention[]): ServiceMention | undefined;
  /** Whether the words name some service or one service's resource. */
  isKnownName(key: string): boolean;
  /** Whether the words are a service's own name (not a resource noun). */
  isServiceName(key: string): boolean;
}

const MAX_ALIAS_WORDS = 5;

export function createServiceRecognizer(summaries: readonly ServiceSummary[]): ServiceRecognizer {
  const known = new Set(summaries.map((s) => s.cliName));
  const aliases = new Map<string, AliasEntry>();
  const put = (words: string[], entry: AliasEntry): void => {
    const key = aliasKey(words);
    if (key === '' || IGNORED_NAMES.has(words.join(' '))) return;
    const existing = aliases.get(key);
    if (!existing || entry.rank < existing.rank) aliases.set(key, entry);
  };
  for (const alias of CURATED) {
    if (!known.has(alias.service)) continue;
    put(alias.words.split(' '), {
      service: alias.service,
      kind: alias.kind ?? 'name',
      // A one-word resource noun ("subnet", "queue") is shared by too many services to name one on its own.
      weak: alias.weak ?? (alias.kind === 'noun' && !alias.words.includes(' ')),
      impliedNouns: alias.implies ? alias.implies.split(' ') : [],
      rank: 0,
    });
  }
  for (const summary of summaries) {
    spokenNames(summary).forEach((name, index) => {
      const words = name.split(' ');
      put(words, {
        service: summary.cliName,
        kind: 'name',
        weak: WEAK_NAMES.has(name),
        impliedNouns: [],
        // The CLI name wins over another service's spoken name; shorter CLI names win ties (ses over sesv2).
        rank: 1 + Math.min(index, 1) + summary.cliName.length / 100,
      });
    });
  }

  function findMentions(tokens: readonly string[]): ServiceMention[] {
    const found: ServiceMention[] = [];
    let i = 0;
    while (i < tokens.length) {
      let matched: ServiceMention | undefined;
      for (let n = Math.min(MAX_ALIAS_WORDS, tokens.length - i); n >= 1 && !matched; n--) {
        const entry = aliases.get(aliasKey(tokens.slice(i, i + n)));
        if (entry) {
          matched = {
            service: entry.service,
            start: i,
            end: i + n,
            kind: entry.kind,
            weak: entry.weak,
            impliedNouns: entry.impliedNouns,
          };
        }
      }
      if (matched) {
        // "aws backup", "amazon connect": the vendor's name makes an ordinary word a service's name.
        if (matched.weak && matched.kind === 'name' && ['aws', 'amazon'].includes(tokens[i - 1] ?? '')) {
          matched = { ...matched, weak: false };
        }
        found.push(matched);
        i = matched.end;
      } else {
        i += 1;
      }
    }
    return found;
  }

  function pickService(mentions: readonly ServiceMention[]): ServiceMention | undefined {
    return mentions.find((m) => !m.weak) ?? mentions[0];
  }

  return {
    findMentions,
    pickService,
    isKnownName: (key) => aliases.has(key),
    isServiceName: (key) => aliases.get(key)?.kind === 'name',
  };
}
