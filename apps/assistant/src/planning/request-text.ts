/**
 * Reads the facts a plain-language request states outright (region, resource ids, states, tags, names),
 * so the built-in rules can stay small. Nothing here guesses at intent.
 */
export interface RequestFacts {
  /** Lower-case text with the region removed and punctuation around words stripped. */
  text: string;
  /** Words as typed (case kept), with the same cleaning as `text`. */
  words: string[];
  /** Lower-case words, index-aligned with `words`. */
  lower: string[];
  region: string | undefined;
  ids: {
    instance: string[];
    volume: string[];
    snapshot: string[];
    image: string[];
    securityGroup: string[];
    subnet: string[];
    vpc: string[];
    hostedZone: string[];
  };
  arns: string[];
  urls: string[];
  state: string | undefined;
  tag: { key: string; value: string } | undefined;
  numbers: number[];
  counting: boolean;
  changeVerb: string | undefined;
}

// A region only counts as a word of its own, not inside an ARN or URL that happens to contain one.
const REGION =
  /(?:^|\s)((?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d)(?=$|[\s,.?!])/i;
const STATES = ['running', 'stopped', 'pending', 'terminated', 'stopping', 'shutting-down'];
const CHANGE_VERBS: Readonly<Record<string, string>> = {
  start: 'start',
  stop: 'stop',
  reboot: 'reboot',
  restart: 'reboot',
  terminate: 'terminate',
  delete: 'delete',
  remove: 'delete',
  destroy: 'delete',
  drop: 'delete',
  create: 'create',
  make: 'create',
  purge: 'purge',
  scale: 'scale',
  tag: 'tag',
  run: 'start',
  trigger: 'start',
  kick: 'start',
};

const FILLER =
  /^(please |can you |could you |would you |kindly |i want to |i'd like to |i would like to |let's |lets )+/;

function collectIds(raw: string, pattern: RegExp): string[] {
  return [...new Set([...raw.matchAll(pattern)].map((m) => m[0]))];
}

export function readRequestFacts(request: string): RequestFacts {
  const raw = request.trim().replace(/\s+/g, ' ');
  const regionMatch = REGION.exec(raw);
  const region = regionMatch?.[1]?.toLowerCase();
  const withoutRegion = regionMatch
    ? raw
        .replace(regionMatch[0], ' ')
        .replace(/\b(in|for|from|on)\s+(region\s+)?(?=\s|$)/i, ' ')
        .replace(/\bregion\b\s*$/i, '')
    : raw;
  const words = withoutRegion
    .split(' ')
    .map((w) => w.replace(/^["'(]+|["'),;!?]+$|\.$/g, ''))
    .filter((w) => w !== '');
  const lower = words.map((w) => w.toLowerCase());
  // The tag expression is a value: "Name=web" must not read as a request for names.
  const text = lower
    .join(' ')
    .replace(FILLER, '')
    .replace(
      /\btag(?:ged)?\s+(?:with\s+)?[a-z0-9_.:/-]+\s*[=:]\s*\S+|\bwith\s+[a-z0-9_.:/-]+\s*=\s*\S+/,
      'tagged',
    );

  const tagMatch =
    /\btag(?:ged)?\s+(?:with\s+)?([A-Za-z0-9_.:/-]+)\s*[=:]\s*([A-Za-z0-9_.:/@+-]+)/i.exec(withoutRegion) ??
    /\bwith\s+([A-Za-z0-9_.:/-]+)\s*=\s*([A-Za-z0-9_.:/@+-]+)/i.exec(withoutRegion);
  const state = STATES.find((s) => new RegExp(`\\b${s}\\b`).test(text));

  // Only the leading verb says what to do: "list instances with tag x" must stay a read.
  const changeVerb = CHANGE_VERBS[text.split(' ')[0] ?? ''];

  return {
    text,
    words,
    lower,
    region,
    ids: {
      instance: collectIds(raw, /\bi-[0-9a-f]{8,17}\b/g),
      volume: collectIds(raw, /\bvol-[0-9a-f]{8,17}\b/g),
      snapshot: collectIds(raw, /\bsnap-[0-9a-f]{8,17}\b/g),
      image: collectIds(raw, /\bami-[0-9a-f]{8,17}\b/g),
      securityGroup: collectIds(raw, /\bsg-[0-9a-f]{8,17}\b/g),
      subnet: collectIds(raw, /\bsubnet-[0-9a-f]{8,17}\b/g),
      vpc: collectIds(raw, /\bvpc-[0-9a-f]{8,17}\b/g),
      hostedZone: collectIds(raw, /\bZ[0-9A-Z]{8,32}\b/g),
    },
    arns: collectIds(raw, /\barn:aws[a-z-]*:[^\s"']+/g),
    urls: collectIds(raw, /\bhttps:\/\/[^\s"']+/g),
    state,
    tag: tagMatch ? { key: tagMatch[1] as string, value: tagMatch[2] as string } : undefined,
    numbers: [...text.matchAll(/\b(\d{1,6})\b/g)].map((m) => Number(m[1])),
    counting: /\b(how many|count|number of|total number)\b/.test(text),
    changeVerb,
  };
}

const NAME_STOPWORDS = new Set([
  'the',
  'a',
  'an',
  'my',
  'named',
  'called',
  'name',
  'in',
  'of',
  'for',
  'on',
  'from',
  'with',
  'to',
  'is',
  'called:',
  's3',
  'aws',
  'lambda',
  'function',
  'bucket',
  'table',
  'stack',
  'cluster',
  'queue',
  'topic',
  'role',
  'user',
  'group',
  'repository',
  'repo',
  'project',
  'instance',
  'db',
  'rds',
  'ecs',
  'eks',
  'ecr',
  'dynamodb',
  'sqs',
  'sns',
  'iam',
  'log',
  'logs',
  'codebuild',
  'cloudformation',
  'cloudwatch',
  'alarm',
  'service',
  'new',
  'this',
  'that',
  'database',
]);

/**
 * Finds the name the request gives after one of `keywords` ("bucket my-data", "function named api"):
 * `named`/`called` win, otherwise the first word after a keyword that is not a filler word.
 */
export function findNameAfter(facts: RequestFacts, keywords: readonly string[]): string | undefined {
  const pick = (start: number): string | undefined => {
    for (let i = start; i < facts.words.length && i < start + 4; i++) {
      const lower = facts.lower[i] as string;
      if (NAME_STOPWORDS.has(lower)) continue;
      if (/^[A-Za-z0-9._\-/:@+=]+$/.test(facts.words[i] as string)) return facts.words[i];
      return undefined;
    }
    return undefined;
  };
  for (let i = 0; i < facts.lower.length; i++) {
    if (facts.lower[i] === 'named' || facts.lower[i] === 'called') {
      const name = pick(i + 1);
      if (name) return name;
    }
  }
  for (let i = facts.lower.length - 1; i >= 0; i--) {
    if (keywords.includes(facts.lower[i] as string)) {
      const name = pick(i + 1);
      if (name) return name;
    }
  }
  return undefined;
}
