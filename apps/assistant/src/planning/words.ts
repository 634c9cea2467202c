/**
 * The word-level vocabulary the model planner matches requests with: singular forms, synonyms people use
 * for the models' nouns, and which operation verbs a spoken verb may mean.
 */

import { VERBS, type SpokenVerb } from './verb-table.ts';

// Words people say for the nouns in operation and member names. Both sides are mapped, so "databases"
// meets RDS's "DB" and Glue's "Database" alike.
const SYNONYMS: Readonly<Record<string, string>> = {
  database: 'db',
  server: 'instance',
  vm: 'instance',
  repo: 'repository',
  env: 'environment',
  config: 'configuration',
  param: 'parameter',
  img: 'image',
  ami: 'image',
  cert: 'certificate',
  creds: 'credential',
  credentials: 'credential',
  pw: 'password',
  pwd: 'password',
  stat: 'statistic',
  stats: 'statistic',
  lambda: 'function',
  lambdas: 'function',
  sg: 'securitygroup',
  ip: 'address',
  eip: 'address',
  perm: 'permission',
  acls: 'acl',
  apis: 'api',
  lb: 'loadbalancer',
  lbs: 'loadbalancer',
  execution: 'execution',
  run: 'run',
  vault: 'vault',
  photo: 'image',
  secgroup: 'securitygroup',
  ssh: 'key',
  metadata: 'metadata',
  data: 'data',
  status: 'status',
  alias: 'alias',
  analysis: 'analysis',
  bus: 'bus',
  address: 'address',
  access: 'access',
  process: 'process',
  class: 'class',
  canvas: 'canvas',
  series: 'series',
  species: 'species',
};

// Compounds the models spell as one word or two.
const COMPOUNDS: Readonly<Record<string, string>> = {
  securitygroup: 'securitygroup',
  loadbalancer: 'loadbalancer',
};

/** Singular, lower-case, synonym-mapped form of one word. */
export function normalizeWord(word: string): string {
  const lower = word.toLowerCase();
  const direct = SYNONYMS[lower];
  if (direct !== undefined) return direct;
  let singular = lower;
  if (lower.length > 4 && lower.endsWith('ies')) singular = `${lower.slice(0, -3)}y`;
  else if (lower.length > 4 && /(ch|sh|x|ss)es$/.test(lower)) singular = lower.slice(0, -2);
  else if (lower.length > 3 && lower.endsWith('s') && !/(ss|us|is)$/.test(lower))
    singular = lower.slice(0, -1);
  return SYNONYMS[singular] ?? COMPOUNDS[singular] ?? singular;
}

/** Whether a word is (probably) plural as typed. */
export function isPluralWord(word: string): boolean {
  const lower = word.toLowerCase();
  return (
    lower.length > 3 && lower.endsWith('s') && !/(ss|us|is)$/.test(lower) && normalizeWord(lower) !== lower
  );
}

/** Splits a model name into its words: `DescribeDBInstances` → Describe, DB, Instances. */
export function splitModelName(name: string): string[] {
  return name
    .replace(
      /([A-Z]{2,})s(?=[A-Z]|$)/g,
      (_m, acronym: string) => ` ${acronym[0]}${acronym.slice(1).toLowerCase()}s `,
    )
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
}

/** Joins the model's two-word nouns the way requests may say them as one ("security group"). */
export function joinCompounds(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const pair = `${words[i] ?? ''}${words[i + 1] ?? ''}`;
    if (i + 1 < words.length && COMPOUNDS[normalizeWord(pair)] !== undefined) {
      out.push(normalizeWord(pair));
      i += 1;
    } else {
      out.push(words[i] as string);
    }
  }
  return out;
}

export type { SpokenVerb, VerbClass } from './verb-table.ts';

/** The spoken verb of a word, if it is one. */
export function readVerb(word: string): SpokenVerb | undefined {
  const verb = VERBS[word.toLowerCase()];
  return verb ? { word: word.toLowerCase(), ...verb } : undefined;
}

/** Operation verbs that only read (the model-name prefixes of read-only operations). */
export const READ_OPERATION_VERBS = new Set([
  'List',
  'Describe',
  'Get',
  'Search',
  'BatchGet',
  'Lookup',
  'Head',
]);

/** Two-word model nouns people call by another name (EMR's job flows are its clusters). */
export const PAIR_SYNONYMS: Readonly<Record<string, string>> = { jobflow: 'cluster' };

/** Nouns in operation names that say little ("ListDomainNames" lists domains). */
export const LIGHT_NOUNS = new Set([
  'name',
  'id',
  'summary',
  'detail',
  'info',
  'information',
  'status',
  'list',
  'all',
]);

/** Prepositions after which nouns qualify the resource ("executions of state machine X"). */
export const QUALIFYING_WORDS = new Set([
  'of',
  'in',
  'for',
  'from',
  'on',
  'under',
  'inside',
  'within',
  'behind',
  'attached',
]);

/** Words that say nothing about which operation is meant. */
export const FILLER_WORDS = new Set([
  'the',
  'a',
  'an',
  'my',
  'our',
  'your',
  'me',
  'us',
  'of',
  'in',
  'on',
  'at',
  'for',
  'to',
  'from',
  'with',
  'by',
  'and',
  'or',
  'all',
  'every',
  'each',
  'any',
  'some',
  'please',
  'can',
  'could',
  'would',
  'you',
  'i',
  'we',
  'want',
  'need',
  'like',
  'd',
  'is',
  'are',
  'there',
  'do',
  'does',
  'have',
  'has',
  'many',
  'much',
  'this',
  'that',
  'these',
  'those',
  'it',
  'its',
  'currently',
  'current',
  'existing',
  'available',
  'aws',
  'amazon',
  'now',
  'just',
  'up',
  'out',
  'about',
  'info',
  'information',
  'named',
  'called',
  'name',
  'id',
  'arn',
  'one',
  'new',
  'let',
  'lets',
  's',
  'using',
  'via',
  'as',
  'into',
  'under',
  'kindly',
  'whole',
  'list',
  'exist',
  'right',
  'here',
  'them',
  'their',
  'be',
  'been',
  'being',
  'was',
  'were',
  'will',
  'should',
  'region',
  'total',
  'number',
  'everything',
]);
