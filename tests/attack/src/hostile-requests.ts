/**
 * Builds requests for an operation from its schemas: a valid sample, then one hostile change to it (wrong
 * types, huge or deeply nested values, prototype keys, bad UTF-8, wrong content types, malformed JSON,
 * bodies over the limits, hostile path and query values). Deterministic for a given seed.
 */
import type { JsonSchema, Operation, Parameter } from './openapi-operations.ts';

export interface Random {
  next(): number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast and good enough to make a run reproducible from its seed. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max) => Math.floor(next() * max),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
  };
}

export interface HostileRequest {
  readonly method: string;
  /** Path with query, already encoded as it goes on the wire. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  /** Which mutation made it (for the report). */
  readonly kind: string;
}

const hostileStrings = [
  '',
  ' ',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '\u0000',
  "'; DROP TABLE entries; --",
  '" OR 1=1 --',
  '$(id)',
  '`id`',
  '; id',
  '| cat /etc/passwd',
  '--endpoint-url=http://169.254.169.254',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://127.0.0.1/a}',
  '\u202e\u0000\ud800',
  '🚀'.repeat(50),
  'a'.repeat(5000),
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  '-1',
  'NaN',
  'null',
  'true',
  '1e309',
  '__proto__',
  'constructor',
];

const hostileScalars: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  [],
  {},
  [null],
  { a: 1 },
  '',
];

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? schema.type[0];
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

function sampleString(schema: JsonSchema, random: Random): string {
  switch (schema.format) {
    case 'uuid':
      return '0190a5f0-0000-7000-8000-00000000000' + String(random.int(10));
    case 'date-time':
      return new Date(Date.UTC(2026, 0, 1 + random.int(300))).toISOString();
    case 'uri':
      return 'https://example.com/repo.git';
    case 'email':
      return 'a@example.com';
    default:
      break;
  }
  const min = schema.minLength ?? 1;
  const max = Math.min(schema.maxLength ?? 24, 24);
  const length = Math.max(min, Math.min(max, 3 + random.int(8)));
  const alphabet = 'abcdefghijklmnopqrstuvwxyz';
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[random.int(alphabet.length)];
  return text;
}

/** A value the schema accepts (best effort: patterns are not solved, so the service may still say 400). */
export function sampleValid(schema: JsonSchema, random: Random, depth = 0): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return random.pick(schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) return sampleValid(random.pick(choices), random, depth + 1);
  if (schema.allOf && schema.allOf.length > 0) {
    return Object.assign({}, ...schema.allOf.map((s) => sampleValid(s, random, depth + 1)));
  }
  if (schema.default !== undefined && random.chance(0.3)) return schema.default;
  switch (typeOf(schema)) {
    case 'string':
      return sampleString(schema, random);
    case 'integer': {
      const min = schema.minimum ?? 0;
      const max = Math.min(schema.maximum ?? min + 100, min + 100);
      return min + random.int(Math.max(1, max - min + 1));
    }
    case 'number':
      return (schema.minimum ?? 0) + random.next();
    case 'boolean':
      return random.chance(0.5);
    case 'array': {
      if (depth > 4 || !schema.items) return [];
      const count = Math.max(schema.minItems ?? 0, random.int(3));
      return Array.from({ length: count }, () => sampleValid(schema.items ?? {}, random, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        const required = schema.required?.includes(name) ?? false;
        if ((required || random.chance(0.5)) && depth < 6) out[name] = sampleValid(prop, random, depth + 1);
      }
      return out;
    }
    case 'null':
      return null;
    default:
      return sampleString({}, random);
  }
}

/** `[[[…]]]` or `{"a":{"a":…}}`, built as text so building it costs nothing recursive. */
function deeplyNestedJson(depth: number, random: Random): string {
  return random.chance(0.5)
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function hostileValue(random: Random): unknown {
  return random.chance(0.5) ? random.pick(hostileStrings) : random.pick(hostileScalars);
}

function fieldsOf(schema: JsonSchema | undefined): string[] {
  return Object.keys(schema?.properties ?? {});
}

/** Encodes a path or query value, sometimes leaving raw bytes a client would not send. */
function encodeParam(value: unknown, random: Random): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  if (random.chance(0.1)) return '%ff%fe%' + random.pick(['', 'zz', 'c0%ae', 'e2%80']);
  // A lone surrogate cannot be percent-encoded as UTF-8; the raw-byte case above covers bad encodings.
  return encodeURIComponent(
    text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

/** The path with its query; `plain` leaves out the hostile extras (for a request that tests one thing). */
function buildPath(
  operation: Operation,
  values: Map<string, unknown>,
  random: Random,
  plain = false,
): string {
  let path = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    plain
      ? encodeURIComponent(String(values.get(name) ?? 'x'))
      : encodeParam(values.get(name) ?? 'x', random),
  );
  const query: string[] = [];
  for (const param of operation.parameters.filter((p) => p.in === 'query')) {
    if (!values.has(param.name)) continue;
    query.push(`${encodeURIComponent(param.name)}=${encodeParam(values.get(param.name), random)}`);
  }
  if (plain) return query.length > 0 ? `${path}?${query.join('&')}` : path;
  if (random.chance(0.05)) query.push('__proto__[polluted]=1', 'constructor[prototype][x]=1');
  if (random.chance(0.05)) {
    const repeated = operation.parameters.find((p) => p.in === 'query');
    if (repeated) query.push(`${repeated.name}=1`, `${repeated.name}=2`);
  }
  if (random.chance(0.01)) query.push(`q=${'a'.repeat(20_000 + random.int(80_000))}`);
  if (query.length > 0) path += `?${query.join('&')}`;
  return path;
}

function paramValues(operation: Operation, random: Random, hostile: Parameter | undefined) {
  const values = new Map<string, unknown>();
  for (const param of operation.parameters) {
    if (param.in !== 'path' && param.in !== 'query') continue;
    if (param === hostile) values.set(param.name, hostileValue(random));
    else if (param.required || param.in === 'path' || random.chance(0.4)) {
      values.set(param.name, sampleValid(param.schema, random));
    }
  }
  return values;
}

const bodyKinds = [
  'valid',
  'wrong-type',
  'huge-string',
  'deep-nesting',
  'prototype-keys',
  'bad-utf8',
  'wrong-content-type',
  'malformed-json',
  'odd-json',
  'over-limit',
  'extra-fields',
] as const;

/**
 * One request for `operation`: a valid sample with exactly one hostile change (or none, for `valid`).
 * `bodyLimitBytes` is the size that must be refused with 413.
 */
export function buildHostileRequest(
  operation: Operation,
  random: Random,
  bodyLimitBytes: number,
): HostileRequest {
  const hasBody = operation.method !== 'GET' && operation.method !== 'DELETE';
  const kind = !hasBody
    ? undefined
    : operation.body
      ? random.pick(bodyKinds)
      : random.pick(['wrong-content-type', 'odd-json', 'over-limit'] as const);
  // A body over the limit comes with valid parameters: the 413 must not hide behind an earlier refusal.
  const plain = kind === 'over-limit';
  const params = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query');
  const hostileParam = !plain && params.length > 0 && random.chance(0.35) ? random.pick(params) : undefined;
  const path = buildPath(operation, paramValues(operation, random, hostileParam), random, plain);
  const headers: Record<string, string> = {};
  if (!kind) {
    return {
      method: operation.method,
      path,
      headers,
      body: undefined,
      kind: hostileParam ? 'hostile-param' : 'params',
    };
  }
  const valid = (operation.body ? sampleValid(operation.body, random) : {}) as Record<string, unknown>;
  const fields = fieldsOf(operation.body);
  const field = fields.length > 0 ? random.pick(fields) : 'field';
  headers['content-type'] = 'application/json';
  let text: string | undefined;
  let bytes: Buffer | undefined;
  switch (kind) {
    case 'valid':
      text = JSON.stringify(valid);
      break;
    case 'wrong-type':
      text = JSON.stringify({ ...valid, [field]: hostileValue(random) });
      break;
    case 'huge-string':
      text = JSON.stringify({ ...valid, [field]: 'x'.repeat(10_000 + random.int(400_000)) });
      break;
    case 'deep-nesting': {
      const nested = deeplyNestedJson(1_000 + random.int(20_000), random);
      const rest = JSON.stringify({ ...valid, [field]: 0 });
      text = rest.replace(`"${field}":0`, `"${field}":${nested}`);
      break;
    }
    case 'prototype-keys':
      text = JSON.stringify(valid).replace(
        /^\{/,
        '{"__proto__":{"polluted":true,"isAdmin":true},"constructor":{"prototype":{"polluted":true}},',
      );
      break;
    case 'bad-utf8': {
      const json = JSON.stringify({ ...valid, [field]: 'BADUTF8' });
      const [head, tail] = json.split('BADUTF8') as [string, string];
      bytes = Buffer.concat([
        Buffer.from(head),
        Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
        Buffer.from(tail),
      ]);
      break;
    }
    case 'wrong-content-type':
      headers['content-type'] = random.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/json; charset=utf-16',
        'application/octet-stream',
        '',
      ]);
      text = random.chance(0.5) ? JSON.stringify(valid) : 'a=1&b=2';
      break;
    case 'malformed-json':
      text =
        JSON.stringify(valid).slice(0, Math.max(1, random.int(20))) + random.pick(['', '{', ',', '"', '\\']);
      break;
    case 'odd-json':
      text = random.pick(['null', '[]', '1', '"text"', 'true', '', '{}', '{"a":1}{"b":2}', '\u0000']);
      break;
    case 'over-limit':
      bytes = Buffer.concat([
        Buffer.from(`{"${field}":"`),
        Buffer.alloc(bodyLimitBytes + 1 + random.int(64 * 1024), 0x61),
        Buffer.from('"}'),
      ]);
      break;
    case 'extra-fields':
      text = JSON.stringify({
        ...valid,
        user_id: 'arn:aws:iam::999999999999:user/mallory',
        roles: ['admin'],
        is_admin: true,
      });
      break;
  }
  if (headers['content-type'] === '') delete headers['content-type'];
  return { method: operation.method, path, headers, body: bytes ?? Buffer.from(text ?? ''), kind };
}
