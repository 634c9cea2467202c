/**
 * Generates the compact AWS service-model index the assistant plans and validates with, from the service
 * models shipped inside the AWS CLI v2 (botocore JSON). The index is committed (brotli-compressed) so that
 * planning works after `npm ci` alone; rerun this after upgrading the CLI, and run it with `--check` in CI
 * to see whether the committed index still matches the installed CLI.
 *
 *   npm run models:index                 # regenerate apps/assistant/src/aws-models/index/aws-models.idx
 *   npm run models:index -- --check      # exit 1 when the committed index differs from a fresh one
 *   npm run models:index -- --data-dir <botocore data dir> --cli-dir <awscli package dir>
 *
 * What it keeps per service: CLI and model names, the naming metadata (full name, abbreviation, service id,
 * endpoint prefix, signing name, protocol, API version), every operation (HTTP method, input shape,
 * deprecation, one-sentence documentation), the shapes reachable from inputs (types, members, required,
 * enums, bounds, streaming, document, sensitive; one-sentence documentation of input members), and what
 * safety needs from outputs (streaming payloads and the paths of members marked sensitive).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'apps/assistant/src/aws-models/index/aws-models.idx');

interface RawRef {
  shape: string;
  documentation?: string;
  location?: string;
  locationName?: string;
  streaming?: boolean;
}
interface RawShape {
  type: string;
  members?: Record<string, RawRef>;
  required?: string[];
  member?: RawRef;
  key?: RawRef;
  value?: RawRef;
  enum?: string[];
  min?: number;
  max?: number;
  streaming?: boolean;
  document?: boolean;
  payload?: string;
  sensitive?: boolean;
  documentation?: string;
}
interface RawOperation {
  name: string;
  http?: { method?: string };
  input?: RawRef;
  output?: RawRef;
  deprecated?: boolean;
  documentation?: string;
}
interface RawModel {
  metadata: Record<string, string>;
  operations: Record<string, RawOperation>;
  shapes: Record<string, RawShape>;
}

// The CLI renames three botocore services in its command table (awscli/customizations/*: rename_command).
const MODEL_TO_CLI: Readonly<Record<string, string>> = {
  s3: 's3api',
  config: 'configservice',
  codedeploy: 'deploy',
};

const MAX_DOC_CHARS = 160;

/** First sentence of botocore's HTML documentation, tags and entities removed. */
export function summarizeDocumentation(html: string | undefined): string | undefined {
  if (!html) return undefined;
  const text = html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return undefined;
  const sentence = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return sentence.length > MAX_DOC_CHARS ? `${sentence.slice(0, MAX_DOC_CHARS - 1)}…` : sentence;
}

function parseArgumentRenames(file: string): Record<string, string> {
  const renames: Record<string, string> = {};
  if (!existsSync(file)) return renames;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('ARGUMENT_RENAMES = {');
  const end = text.indexOf('\n}', start);
  if (start < 0 || end < start) return renames;
  const body = text
    .slice(start, end)
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  for (const match of body.matchAll(/'([^']+)':\s*'([^']+)'/g)) {
    const [, from, to] = match;
    // `no-*` renames concern negative boolean flags, which plans never render.
    if (from && to && !(from.split('.').at(-1) ?? '').startsWith('no-')) renames[from] = to;
  }
  return renames;
}

function readCliVersion(cliDir: string): string {
  try {
    const text = readFileSync(join(cliDir, '__init__.py'), 'utf8');
    return /__version__ = '([^']+)'/.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Paths (Member.Member[]) of output members marked sensitive, searched a bounded depth. */
function findSensitivePaths(model: RawModel, shapeName: string): string[] {
  const found: string[] = [];
  const walk = (name: string, path: string, depth: number, seen: Set<string>): void => {
    const shape = model.shapes[name];
    if (!shape || depth > 6 || seen.has(name) || found.length >= 20) return;
    if (shape.sensitive && path !== '') {
      found.push(path);
      return;
    }
    const next = new Set(seen).add(name);
    if (shape.type === 'structure') {
      for (const [member, ref] of Object.entries(shape.members ?? {})) {
        walk(ref.shape, path === '' ? member : `${path}.${member}`, depth + 1, next);
      }
    } else if (shape.type === 'list' && shape.member) {
      walk(shape.member.shape, `${path}[]`, depth + 1, next);
    } else if (shape.type === 'map' && shape.value) {
      walk(shape.value.shape, `${path}.*`, depth + 1, next);
    }
  };
  walk(shapeName, '', 0, new Set());
  return found;
}

function compactShape(shape: RawShape, keepMemberDocs: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { type: shape.type };
  if (shape.members) {
    const members: Record<string, Record<string, unknown>> = {};
    for (const [name, ref] of Object.entries(shape.members)) {
      const member: Record<string, unknown> = { shape: ref.shape };
      if (ref.location) member['location'] = ref.location;
      if (ref.locationName) member['locationName'] = ref.locationName;
      if (ref.streaming) member['streaming'] = true;
      if (keepMemberDocs) {
        const docs = summarizeDocumentation(ref.documentation);
        if (docs) member['documentation'] = docs;
      }
      members[name] = member;
    }
    out['members'] = members;
  }
  if (shape.required && shape.required.length > 0) out['required'] = shape.required;
  for (const key of ['member', 'key', 'value'] as const) {
    const ref = shape[key];
    if (ref) out[key] = { shape: ref.shape };
  }
  if (shape.enum) out['enum'] = shape.enum;
  if (shape.min !== undefined) out['min'] = shape.min;
  if (shape.max !== undefined) out['max'] = shape.max;
  if (shape.streaming) out['streaming'] = true;
  if (shape.document) out['document'] = true;
  if (shape.payload) out['payload'] = shape.payload;
  if (shape.sensitive) out['sensitive'] = true;
  return out;
}

function compactService(
  model: RawModel,
  version: string,
): {
  operations: Record<string, unknown>;
  shapes: Record<string, unknown>;
  metadata: Record<string, string>;
} {
  const keep = new Map<string, boolean>();
  const reach = (name: string, memberDocs: boolean): void => {
    if (keep.has(name) && (keep.get(name) || !memberDocs)) return;
    keep.set(name, memberDocs || (keep.get(name) ?? false));
    const shape = model.shapes[name];
    if (!shape) return;
    for (const ref of Object.values(shape.members ?? {})) reach(ref.shape, false);
    for (const ref of [shape.member, shape.key, shape.value]) if (ref) reach(ref.shape, false);
  };
  const operations: Record<string, unknown> = {};
  // Operations are keyed by their API name; `name` can carry a version suffix the CLI does not show
  // (CloudFront's ListDistributions is named ListDistributions2020_05_31).
  for (const [operationName, op] of Object.entries(model.operations)) {
    const entry: Record<string, unknown> = {};
    if (op.http?.method && op.http.method !== 'POST') entry['method'] = op.http.method;
    if (op.input) {
      entry['input'] = op.input.shape;
      reach(op.input.shape, true);
    }
    if (op.deprecated) entry['deprecated'] = true;
    const docs = summarizeDocumentation(op.documentation);
    if (docs) entry['documentation'] = docs;
    if (op.output) {
      const output = model.shapes[op.output.shape];
      const payloadRef = output?.payload ? output.members?.[output.payload] : undefined;
      const payload = payloadRef ? model.shapes[payloadRef.shape] : undefined;
      if (payloadRef && payload?.type === 'blob' && (payloadRef.streaming || payload.streaming)) {
        entry['streamingOutput'] = true;
      }
      const sensitive = findSensitivePaths(model, op.output.shape);
      if (sensitive.length > 0) entry['sensitiveOutput'] = sensitive;
    }
    operations[operationName] = entry;
  }
  const shapes: Record<string, unknown> = {};
  for (const name of [...keep.keys()].sort()) {
    const shape = model.shapes[name];
    if (shape) shapes[name] = compactShape(shape, keep.get(name) ?? false);
  }
  const m = model.metadata;
  const metadata: Record<string, string> = { apiVersion: m['apiVersion'] ?? version };
  for (const key of [
    'serviceFullName',
    'serviceAbbreviation',
    'serviceId',
    'endpointPrefix',
    'signingName',
    'protocol',
  ]) {
    if (m[key]) metadata[key] = m[key];
  }
  return { metadata, operations, shapes };
}

export interface BuildIndexOptions {
  dataDir: string;
  cliDir: string;
}

export interface ModelsIndexParts {
  header: Record<string, unknown>;
  /** Per CLI service name: its `{operations, shapes}` as JSON text. */
  bodies: Map<string, string>;
}

/** Builds the index from a botocore data directory (deterministic: directories in sorted order). */
export function buildModelsIndex({ dataDir, cliDir }: BuildIndexOptions): ModelsIndexParts {
  const services: Record<string, Record<string, unknown>> = {};
  const bodies = new Map<string, string>();
  const hash = createHash('sha256');
  for (const modelName of readdirSync(dataDir).sort()) {
    const serviceDir = join(dataDir, modelName);
    let versions: string[];
    try {
      versions = readdirSync(serviceDir)
        .filter((v) => existsSync(join(serviceDir, v, 'service-2.json')))
        .sort();
    } catch {
      continue;
    }
    const latest = versions.at(-1);
    if (latest === undefined) continue;
    const text = readFileSync(join(serviceDir, latest, 'service-2.json'), 'utf8');
    hash.update(modelName).update(text);
    const cliName = MODEL_TO_CLI[modelName] ?? modelName;
    const { operations, shapes, metadata } = compactService(JSON.parse(text) as RawModel, latest);
    services[cliName] = { modelName, metadata, operationNames: Object.keys(operations) };
    bodies.set(cliName, JSON.stringify({ operations, shapes }));
  }
  return {
    header: {
      format: 2,
      source: { awscli: readCliVersion(cliDir), models_sha256: hash.digest('hex') },
      argumentRenames: parseArgumentRenames(join(cliDir, 'customizations', 'argrename.py')),
      services,
    },
    bodies,
  };
}

const BROTLI_OPTIONS = (size: number) => ({
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 11,
    [constants.BROTLI_PARAM_LGWIN]: 24,
    [constants.BROTLI_PARAM_SIZE_HINT]: size,
  },
});

/**
 * The file: a 4-byte big-endian length, the brotli-compressed header (names, metadata, operation names,
 * where each service's body is), then one brotli-compressed body per service. The assistant reads the
 * header at start-up and decompresses a service's body the first time that service is used.
 */
export function encodeModelsIndex({ header, bodies }: ModelsIndexParts): Buffer {
  const chunks: Buffer[] = [];
  let offset = 0;
  const services = header['services'] as Record<string, Record<string, unknown>>;
  for (const [name, body] of bodies) {
    const chunk = brotliCompressSync(Buffer.from(body), BROTLI_OPTIONS(body.length));
    const entry = services[name];
    if (entry) {
      entry['offset'] = offset;
      entry['length'] = chunk.length;
    }
    chunks.push(chunk);
    offset += chunk.length;
  }
  const headerJson = JSON.stringify(header);
  const headerChunk = brotliCompressSync(Buffer.from(headerJson), BROTLI_OPTIONS(headerJson.length));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(headerChunk.length);
  return Buffer.concat([prefix, headerChunk, ...chunks]);
}

/** The same parts read back from a file (for --check: compares content, not compressed bytes). */
function decodeModelsIndex(file: Buffer): string {
  const headerLength = file.readUInt32BE(0);
  const header = JSON.parse(brotliDecompressSync(file.subarray(4, 4 + headerLength)).toString('utf8')) as {
    services: Record<string, { offset: number; length: number }>;
  };
  const base = 4 + headerLength;
  const parts: string[] = [];
  for (const [name, entry] of Object.entries(header.services)) {
    const body = brotliDecompressSync(file.subarray(base + entry.offset, base + entry.offset + entry.length));
    parts.push(name, body.toString('utf8'));
    const { offset: _offset, length: _length, ...rest } = entry;
    header.services[name] = rest as never;
  }
  return JSON.stringify(header) + parts.join('\n');
}

function describeParts({ header, bodies }: ModelsIndexParts): string {
  const parts: string[] = [];
  for (const [name, body] of bodies) parts.push(name, body);
  return JSON.stringify(header) + parts.join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const cliDir = option('--cli-dir') ?? '/usr/lib/python3/dist-packages/awscli';
  const dataDir = option('--data-dir') ?? join(cliDir, 'botocore', 'data');
  if (!existsSync(dataDir)) {
    process.stderr.write(`no botocore models at ${dataDir}: install the AWS CLI v2 (Debian: awscli)\n`);
    process.exit(2);
  }
  const started = performance.now();
  const parts = buildModelsIndex({ dataDir, cliDir });
  if (args.includes('--check')) {
    const committed = existsSync(OUTPUT) ? decodeModelsIndex(readFileSync(OUTPUT)) : '';
    if (committed !== describeParts(parts)) {
      process.stderr.write(
        `${OUTPUT} differs from the models of the installed CLI: run npm run models:index\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`models index is current (${(performance.now() - started).toFixed(0)} ms)\n`);
    return;
  }
  const compressed = encodeModelsIndex(parts);
  const jsonBytes = [...parts.bodies.values()].reduce((n, b) => n + b.length, 0);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, compressed);
  let cli = '';
  try {
    cli = execFileSync('/usr/bin/aws', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    cli = 'CLI binary not run';
  }
  process.stdout.write(
    `wrote ${OUTPUT}: ${(jsonBytes / 1e6).toFixed(1)} MB JSON, ${(compressed.length / 1e6).toFixed(2)} MB brotli, ` +
      `${(performance.now() - started).toFixed(0)} ms (${cli})\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
