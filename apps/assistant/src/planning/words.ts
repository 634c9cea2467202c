/**
 * The word-level vocabulary the model planner matches requests with: singular forms, synonyms people use
 * for the models' nouns, and which operation verbs a spoken verb may mean.
 */

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

/** What a spoken verb means: reading, or a kind of change. */
export type VerbClass = 'read' | 'write';

export interface SpokenVerb {
  word: string;
  kind: VerbClass;
  /** Operation verbs (first word of the model name) this verb may mean, with a preference weight. */
  operations: Readonly<Record<string, number>>;
  /** The verb is also the resource ("snapshot volume …", "tag instance …"). */
  noun?: boolean;
}

const READ_LIST = { List: 1, Describe: 0.95, Get: 0.9, Search: 0.5, BatchGet: 0.3 };
const READ_GET = { Get: 1, Describe: 0.95, List: 0.9, Search: 0.5, BatchGet: 0.3 };
const READ_DESCRIBE = { Describe: 1, Get: 0.95, List: 0.9, Search: 0.5 };
const CREATE = {
  Create: 1,
  Put: 0.75,
  Add: 0.7,
  Register: 0.6,
  Allocate: 0.6,
  Run: 0.5,
  Generate: 0.5,
  Request: 0.5,
  Import: 0.4,
};
const DELETE = { Delete: 1, Remove: 0.85, Deregister: 0.7, Terminate: 0.7, Release: 0.6, Disassociate: 0.4 };
const START = { Start: 1, Run: 0.95, Invoke: 0.7, Execute: 0.7, Create: 0.3 };
const UPDATE = { Update: 1, Modify: 1, Change: 0.9, Put: 0.8, Set: 0.8, Edit: 0.9 };

const VERBS_NOUNS = {
  snapshot: { kind: 'write', operations: { Create: 1 }, noun: true },
  backup: { kind: 'write', operations: { Create: 1, Start: 0.8 }, noun: true },
} as const;

const VERBS: Readonly<
  Record<string, { kind: VerbClass; operations: Readonly<Record<string, number>>; noun?: boolean }>
> = {
  list: { kind: 'read', operations: READ_LIST },
  show: { kind: 'read', operations: READ_LIST },
  display: { kind: 'read', operations: READ_LIST },
  view: { kind: 'read', operations: READ_LIST },
  see: { kind: 'read', operations: READ_LIST },
  print: { kind: 'read', operations: READ_LIST },
  find: { kind: 'read', operations: READ_LIST },
  enumerate: { kind: 'read', operations: READ_LIST },
  what: { kind: 'read', operations: READ_LIST },
  which: { kind: 'read', operations: READ_LIST },
  whats: { kind: 'read', operations: READ_LIST },
  how: { kind: 'read', operations: READ_LIST },
  count: { kind: 'read', operations: READ_LIST },
  tell: { kind: 'read', operations: READ_LIST },
  give: { kind: 'read', operations: READ_LIST },
  check: { kind: 'read', operations: READ_DESCRIBE },
  inspect: { kind: 'read', operations: READ_DESCRIBE },
  get: { kind: 'read', operations: READ_GET },
  fetch: { kind: 'read', operations: READ_GET },
  read: { kind: 'read', operations: READ_GET },
  retrieve: { kind: 'read', operations: READ_GET },
  describe: { kind: 'read', operations: READ_DESCRIBE },
  details: { kind: 'read', operations: READ_DESCRIBE },
  search: { kind: 'read', operations: { Search: 1, List: 0.8, Describe: 0.7 } },
  scan: { kind: 'read', operations: { Scan: 1 } },
  submit: { kind: 'write', operations: { Submit: 1, Start: 0.8, Create: 0.6 } },
  schedule: { kind: 'write', operations: { Schedule: 1, Create: 0.6 } },
  query: { kind: 'read', operations: { Query: 1 } },
  lookup: { kind: 'read', operations: { Lookup: 1, Get: 0.9, Describe: 0.9, List: 0.8 } },
  create: { kind: 'write', operations: CREATE },
  make: { kind: 'write', operations: CREATE },
  add: { kind: 'write', operations: { Add: 1, Create: 0.95, Put: 0.8, Attach: 0.6, Register: 0.6 } },
  new: { kind: 'write', operations: CREATE },
  provision: { kind: 'write', operations: CREATE },
  generate: { kind: 'write', operations: { Generate: 1, Create: 0.9 } },
  take: { kind: 'write', operations: { Create: 1 } },
  setup: { kind: 'write', operations: CREATE },
  build: { kind: 'write', operations: { Create: 1, Start: 0.8 } },
  allocate: { kind: 'write', operations: { Allocate: 1, Create: 0.8 } },
  register: { kind: 'write', operations: { Register: 1, Create: 0.7 } },
  request: { kind: 'write', operations: { Request: 1, Create: 0.7 } },
  issue: { kind: 'write', operations: { Request: 1, Create: 0.8 } },
  delete: { kind: 'write', operations: DELETE },
  remove: { kind: 'write', operations: { ...DELETE, Remove: 1, Detach: 0.6 } },
  destroy: { kind: 'write', operations: DELETE },
  drop: { kind: 'write', operations: DELETE },
  erase: { kind: 'write', operations: DELETE },
  deregister: { kind: 'write', operations: { Deregister: 1, Delete: 0.8 } },
  unregister: { kind: 'write', operations: { Deregister: 1, Delete: 0.8 } },
  terminate: { kind: 'write', operations: { Terminate: 1, Delete: 0.8 } },
  release: { kind: 'write', operations: { Release: 1, Delete: 0.7 } },
  start: { kind: 'write', operations: START },
  run: { kind: 'write', operations: { Run: 1, Start: 0.95, Execute: 0.8, Invoke: 0.7 } },
  launch: { kind: 'write', operations: { Run: 1, Start: 0.9, Create: 0.6 } },
  trigger: { kind: 'write', operations: { Start: 1, Run: 0.9, Invoke: 0.9 } },
  kick: { kind: 'write', operations: START },
  begin: { kind: 'write', operations: START },
  resume: { kind: 'write', operations: { Resume: 1, Start: 0.9 } },
  execute: { kind: 'write', operations: { Execute: 1, Start: 0.9, Run: 0.9 } },
  invoke: { kind: 'write', operations: { Invoke: 1, Execute: 0.8 } },
  call: { kind: 'write', operations: { Invoke: 1, Execute: 0.8 } },
  stop: { kind: 'write', operations: { Stop: 1 } },
  halt: { kind: 'write', operations: { Stop: 1 } },
  shutdown: { kind: 'write', operations: { Stop: 1 } },
  pause: { kind: 'write', operations: { Pause: 1, Suspend: 0.9, Stop: 0.8 } },
  suspend: { kind: 'write', operations: { Suspend: 1, Stop: 0.8 } },
  reboot: { kind: 'write', operations: { Reboot: 1, Restart: 1 } },
  restart: { kind: 'write', operations: { Restart: 1, Reboot: 1 } },
  bounce: { kind: 'write', operations: { Reboot: 1, Restart: 1 } },
  update: { kind: 'write', operations: UPDATE },
  modify: { kind: 'write', operations: UPDATE },
  change: { kind: 'write', operations: UPDATE },
  edit: { kind: 'write', operations: UPDATE },
  set: { kind: 'write', operations: { Set: 1, Put: 0.9, Update: 0.9, Modify: 0.9 } },
  configure: { kind: 'write', operations: { Put: 1, Update: 0.95, Set: 0.9, Modify: 0.9 } },
  rename: { kind: 'write', operations: { Update: 1, Modify: 1 } },
  resize: { kind: 'write', operations: { Modify: 1, Update: 1, Resize: 1 } },
  scale: { kind: 'write', operations: { Update: 1, Modify: 1, Set: 0.9 } },
  put: { kind: 'write', operations: { Put: 1, Update: 0.7 } },
  enable: { kind: 'write', operations: { Enable: 1, Update: 0.4 } },
  disable: { kind: 'write', operations: { Disable: 1, Update: 0.4 } },
  tag: { kind: 'write', operations: { Tag: 1, Add: 0.7, Create: 0.4 }, noun: true },
  untag: { kind: 'write', operations: { Untag: 1, Remove: 0.7 } },
  attach: { kind: 'write', operations: { Attach: 1, Associate: 0.8, Add: 0.5 } },
  detach: { kind: 'write', operations: { Detach: 1, Disassociate: 0.8, Remove: 0.5 } },
  associate: { kind: 'write', operations: { Associate: 1, Attach: 0.8 } },
  disassociate: { kind: 'write', operations: { Disassociate: 1, Detach: 0.8 } },
  publish: { kind: 'write', operations: { Publish: 1, Send: 0.9 } },
  send: { kind: 'write', operations: { Send: 1, Publish: 0.9 } },
  cancel: { kind: 'write', operations: { Cancel: 1, Stop: 0.6 } },
  abort: { kind: 'write', operations: { Abort: 1, Cancel: 0.9, Stop: 0.6 } },
  purge: { kind: 'write', operations: { Purge: 1 } },
  copy: { kind: 'write', operations: { Copy: 1 } },
  restore: { kind: 'write', operations: { Restore: 1 } },
  rotate: { kind: 'write', operations: { Rotate: 1 } },
  reset: { kind: 'write', operations: { Reset: 1 } },
  revoke: { kind: 'write', operations: { Revoke: 1 } },
  authorize: { kind: 'write', operations: { Authorize: 1 } },
  subscribe: { kind: 'write', operations: { Subscribe: 1 } },
  unsubscribe: { kind: 'write', operations: { Unsubscribe: 1 } },
  encrypt: { kind: 'write', operations: { Encrypt: 1 } },
  decrypt: { kind: 'write', operations: { Decrypt: 1 } },
  import: { kind: 'write', operations: { Import: 1 } },
  export: { kind: 'write', operations: { Export: 1 } },
  promote: { kind: 'write', operations: { Promote: 1 } },
  failover: { kind: 'write', operations: { Failover: 1 } },
  assume: { kind: 'write', operations: { Assume: 1 } },
  flush: { kind: 'write', operations: { Flush: 1, Purge: 0.8 } },
  reject: { kind: 'write', operations: { Reject: 1 } },
  accept: { kind: 'write', operations: { Accept: 1 } },
  upgrade: { kind: 'write', operations: { Upgrade: 1, Update: 0.8, Modify: 0.8 } },
  redeploy: { kind: 'write', operations: { Update: 1, Create: 0.5 } },
  deploy: { kind: 'write', operations: { Create: 1, Update: 0.9, Deploy: 1 } },
  ...VERBS_NOUNS,
  increase: { kind: 'write', operations: { Increase: 1, Update: 0.9, Modify: 0.9, Set: 0.8, Request: 0.7 } },
  decrease: { kind: 'write', operations: { Decrease: 1, Update: 0.9, Modify: 0.9, Set: 0.8 } },
};

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
