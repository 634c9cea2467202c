// Summarises a `node --cpu-prof` profile: self time by function and by package, the top entries. Used to
// write the profile summaries in docs/benchmark-notes.md.
// Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a frame's bundled source belongs to, from its source-map-less URL or function. */
function packageOf(url: string): string {
  if (!url) return '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] ?? url;
  if (url.startsWith('node:')) return url;
  return url.replace(/^.*\/(apps|packages)\//, '$1/');
}

// A bundle (`dist/main.js`, minified) is read through its source map: the frame's original file and line.
const sourceMaps = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  if (!url.startsWith('file:') || !url.endsWith('.js')) return null;
  let map = sourceMaps.get(url);
  if (map === undefined) {
    const mapFile = `${fileURLToPath(url)}.map`;
    map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null;
    sourceMaps.set(url, map);
  }
  return map;
}

function describeFrame(frame: ProfileNode['callFrame']): string {
  const { functionName, url, lineNumber, columnNumber } = frame;
  const entry = sourceMapOf(url)?.findEntry(lineNumber, columnNumber);
  if (entry && 'originalSource' in entry && entry.originalSource) {
    const source = entry.originalSource
      .replace(/^.*?\/node_modules\//, '')
      .replace(/^.*\/(apps|packages)\//, '$1/');
    return `${functionName || '(anonymous)'} ${source}:${entry.originalLine + 1}`;
  }
  return `${functionName || '(anonymous)'} ${packageOf(url)}:${lineNumber + 1}`;
}

const inclusive = process.argv.includes('--inclusive');
// --by-package: self time summed per npm package (or app/platform source folder), through the source map.
const byPackage = process.argv.includes('--by-package');
function groupOf(described: string): string {
  const where = described.slice(described.lastIndexOf(' ') + 1).replace(/:\d+$/, '');
  if (where === '(native)') return described.startsWith('(') ? described.split(' ')[0]! : '(native code)';
  if (where.startsWith('node:')) return 'node core';
  const pkg = /^((?:@[^/]+\/)?[^/.][^/]*)\//.exec(where)?.[1];
  if (where.startsWith('../src/') || where.startsWith('src/')) return 'the app (src/)';
  if (where.startsWith('packages/')) return where.split('/').slice(0, 2).join('/');
  return pkg ?? where;
}

const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top] [--inclusive] [--by-package]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfByFunction = new Map<string, number>();
let total = 0;
// --inclusive: each function's time with what it called (a frame counted once per sample, recursion too).
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const delta = profile.timeDeltas[i] ?? 0;
  if (!node) return;
  total += delta;
  const keys = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = inclusive ? parentOf.get(at) : undefined) {
    const frame = byId.get(at);
    if (frame) keys.add(byPackage ? groupOf(describeFrame(frame.callFrame)) : describeFrame(frame.callFrame));
  }
  for (const key of keys) selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
});
const rows = [...selfByFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`total ${(total / 1000).toFixed(0)} ms`);
for (const [key, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
