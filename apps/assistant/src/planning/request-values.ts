import { isPluralWord, normalizeWord, splitModelName } from './words.ts';

/**
 * The values a request states (ids, ARNs, URLs, quoted names, paths, "named X"), found before anything
 * else reads the words so that a value is never mistaken for a noun or a service name.
 */
export type RequestValueKind = 'id' | 'arn' | 'url' | 'name' | 'path' | 'account';

export interface RequestValue {
  text: string;
  kind: RequestValueKind;
  /** Normalised nouns the value refers to (from an id prefix, or the noun said just before it). */
  nouns: string[];
  /** Index of the token the value replaced. */
  position: number;
  /** The value was marked as a name ("named X", quotes) rather than guessed from its shape. */
  explicit: boolean;
}

export interface ReadRequest {
  /** Lower-case words; each value is one token `\u0000<n>`. */
  tokens: string[];
  /** The words as typed (case kept), index-aligned with `tokens`. */
  typed: string[];
  values: RequestValue[];
}

// EC2-style resource ids: the prefix says what they are (and which member names take them).
const ID_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  i: ['instance'],
  vol: ['volume'],
  snap: ['snapshot'],
  ami: ['image'],
  sg: ['securitygroup', 'group'],
  subnet: ['subnet'],
  vpc: ['vpc'],
  igw: ['internetgateway', 'gateway'],
  rtb: ['routetable', 'table'],
  eni: ['networkinterface', 'interface'],
  nat: ['natgateway', 'gateway'],
  acl: ['networkacl', 'acl'],
  eipalloc: ['allocation', 'address'],
  lt: ['launchtemplate', 'template'],
  pcx: ['vpcpeeringconnection', 'connection'],
  tgw: ['transitgateway', 'gateway'],
  vpce: ['vpcendpoint', 'endpoint'],
  key: ['keypair', 'key'],
  fs: ['filesystem', 'system'],
  fsap: ['accesspoint', 'point'],
  dopt: ['dhcpoption', 'option'],
  r: ['reservation'],
  cgw: ['customergateway', 'gateway'],
  vgw: ['vpngateway', 'gateway'],
  vpn: ['vpnconnection', 'connection'],
};

const PATTERNS: readonly { kind: RequestValueKind; pattern: RegExp }[] = [
  { kind: 'arn', pattern: /\barn:aws[a-z-]*:[^\s"'`,]+/g },
  { kind: 'url', pattern: /\bhttps?:\/\/[^\s"'`,]+/g },
  // Curly quotes as escapes: one non-ASCII character in the bundle makes V8 hold its whole source as
  // two-byte text (≈ 4 MB more resident memory for the built service).
  { kind: 'name', pattern: /"([^"]{1,512})"|'([^']{1,512})'|\u201c([^\u201d]{1,512})\u201d/g },
  {
    kind: 'id',
    pattern:
      /\b(?:i|vol|snap|ami|sg|subnet|vpc|igw|rtb|eni|nat|acl|eipalloc|lt|pcx|tgw|vpce|key|fs|fsap|dopt|r|cgw|vgw|vpn)-[0-9a-f]{8,17}\b/g,
  },
  { kind: 'id', pattern: /\bZ(?=[0-9A-Z]*\d)[0-9A-Z]{8,32}\b/g },
  { kind: 'path', pattern: /(?<=^|\s)\/[A-Za-z0-9._\-/]*[A-Za-z0-9._-](?=$|[\s,?!])/g },
  { kind: 'account', pattern: /\b\d{12}\b/g },
];

const VALUE_MARK = '\u0000';
const NAME_MARKERS = new Set(['named', 'called', 'name', 'id', 'identifier']);
const SKIP_BEFORE_VALUE = new Set([
  'the',
  'a',
  'an',
  'my',
  'named',
  'called',
  'name',
  'id',
  'of',
  'with',
  'for',
  'to',
  'in',
  'from',
  'on',
  'is',
  'identifier',
  'arn',
]);

/** Words that look like names by their shape: my-app, web_1, api.example.com, MyStack. */
function looksLikeName(word: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._:@+=/-]*$/.test(word) && /[-_.:@/=+]|\d|[a-z][A-Z]/.test(word);
}

/**
 * Splits a request into tokens and values. `isServiceWord(key)` keeps service names such as
 * "step-functions" or "route53" words rather than names.
 */
export function readRequest(request: string, isServiceWord: (word: string) => boolean): ReadRequest {
  let text = ` ${request} `;
  const found: { text: string; kind: RequestValueKind; nouns: string[]; explicit: boolean }[] = [];
  for (const { kind, pattern } of PATTERNS) {
    text = text.replace(pattern, (match: string, ...groups: unknown[]) => {
      const quoted = groups.slice(0, 3).find((g) => typeof g === 'string') as string | undefined;
      const value = kind === 'name' && quoted !== undefined ? quoted : match;
      let nouns: string[] = [];
      if (kind === 'arn') nouns = arnNouns(value);
      if (kind === 'id') {
        const prefix = value.startsWith('Z') ? 'Z' : value.slice(0, value.lastIndexOf('-'));
        nouns = prefix === 'Z' ? ['hostedzone', 'zone'] : [...(ID_PREFIXES[prefix] ?? [])];
      }
      found.push({ text: value, kind, nouns, explicit: kind === 'name' });
      return ` \u0000${found.length - 1} `;
    });
  }
  const typed: string[] = [];
  const tokens: string[] = [];
  const values: RequestValue[] = [];
  const raw = text.split(/\s+/).filter((w) => w !== '');
  for (let i = 0; i < raw.length; i++) {
    const word = raw[i] as string;
    const marker = word.startsWith(VALUE_MARK) ? /^.(\d+)$/.exec(word) : null;
    const previous = tokens.at(-1);
    if (marker) {
      const value = found[Number(marker[1])];
      if (!value) continue;
      values.push({
        ...value,
        explicit: value.explicit || NAME_MARKERS.has(previous ?? ''),
        position: tokens.length,
      });
      typed.push(value.text);
      tokens.push(`\u0000${values.length - 1}`);
      continue;
    }
    const cleaned = word.replace(/^[([{]+|[)\]},;!?]+$|[.:]$/g, '');
    if (cleaned === '') continue;
    // "named queries" is a noun; "a user named bob" is a name.
    const explicitName = (previous === 'named' || previous === 'called') && !isPluralWord(cleaned);
    if (
      explicitName ||
      (looksLikeName(cleaned) && !isServiceWord(cleaned) && !/^(\d+|v\d)$/i.test(cleaned))
    ) {
      values.push({
        text: cleaned,
        kind: 'name',
        nouns: [],
        position: tokens.length,
        explicit: explicitName,
      });
      typed.push(cleaned);
      tokens.push(`\u0000${values.length - 1}`);
      continue;
    }
    for (const part of cleaned.split(/[^A-Za-z0-9]+/).filter((p) => p !== '')) {
      typed.push(part);
      tokens.push(part.toLowerCase());
    }
  }
  // The noun a value belongs to is the word said before it ("user admin", "volume vol-…", "a user named
  // bob"), skipping "named", articles and the like.
  for (const value of values) {
    if (value.nouns.length > 0) continue;
    for (let j = value.position - 1; j >= 0 && j >= value.position - 4; j--) {
      const word = tokens[j] as string;
      if (word.startsWith('\u0000')) break;
      if (SKIP_BEFORE_VALUE.has(word)) continue;
      value.nouns = [normalizeWord(word)];
      break;
    }
  }
  return { tokens, typed, values };
}

/** The resource type an ARN names (`…:stateMachine:orders` → state, machine, statemachine). */
function arnNouns(arn: string): string[] {
  const resource = arn.split(':').slice(5).join(':');
  const type = /^([A-Za-z-]+)[:/]/.exec(resource)?.[1];
  if (!type) return [];
  const words = splitModelName(type).map((w) => normalizeWord(w));
  return [...new Set([...words, words.join('')])];
}

/** Marks a value token as a value (tokens of values start with NUL). */
export function isValueToken(token: string): boolean {
  return token.startsWith('\u0000');
}
