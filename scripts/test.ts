// Runs every test file (`*.test.ts` under packages/*/src, apps/*/src and tests/*/src) with Node's own test runner.
// Node 20 does not expand globs in `node --test`, so the files are found here.
// Usage: npm test [-- <path filter> ...]   e.g. npm test -- apps/history
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2).filter((arg) => arg !== '--');

function findTests(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return [];
  }
  return entries
    .filter((f) => f.endsWith('.test.ts') && !f.split(path.sep).includes('node_modules'))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const files = ['packages', 'apps', 'tests']
  .flatMap((top) => readdirSync(path.join(root, top)).map((name) => path.join(root, top, name, 'src')))
  .flatMap(findTests)
  .map((f) => path.relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((flt) => f.startsWith(flt) || f.includes(flt)))
  .sort();

if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
