// `npm run bench`: runs every benchmark on loopback and writes the figures to docs/BENCHMARKS.md.
// Usage: npm run bench [-- <name> ...] [-- --seconds N] [-- --no-build]
//   names: history, monitor, gateway, assistant, deployer, startup, mixed, floor
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServices, runWrk, startBareServer, type BenchContext, type BenchRow } from './lib.ts';

type Bench = (ctx: BenchContext) => Promise<BenchRow[]>;

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const secondsFlag = args.indexOf('--seconds');
const durationSeconds = secondsFlag >= 0 ? Number(args[secondsFlag + 1]) : 8;
const names = args.filter((a, i) => !a.startsWith('--') && (secondsFlag < 0 || i !== secondsFlag + 1));
// `--no-build`: use the bundles already in apps/<name>/dist.

// Each benchmark lives in its own module, present once its service exists.
const registry: Record<string, { file: string; exportName: string }> = {
  history: { file: 'history.ts', exportName: 'benchHistory' },
  monitor: { file: 'monitor.ts', exportName: 'benchMonitor' },
  gateway: { file: 'gateway.ts', exportName: 'benchGateway' },
  assistant: { file: 'assistant.ts', exportName: 'benchAssistant' },
  deployer: { file: 'deployer.ts', exportName: 'benchDeployer' },
  startup: { file: 'startup.ts', exportName: 'benchStartup' },
  mixed: { file: 'mixed.ts', exportName: 'benchMixed' },
  floor: { file: 'floor.ts', exportName: 'benchFloor' },
};
/** Sections written by other tools (image sizes come from tests/containers), kept as they are. */
const keptSections = ['images'];

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || Number.isNaN(n)) return '';
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The `## <benchmark>` sections of a BENCHMARKS.md, by benchmark name. */
function readSections(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text.split(/^(?=## )/m);
  for (const part of parts) {
    const name = /^## (\w+)\n/.exec(part)?.[1];
    if (name && (name in registry || keptSections.includes(name)))
      out[name] = part.split(/^(?=# |<!-- notes -->)/m)[0]!.trimEnd() + '\n';
  }
  return out;
}

function describeMachine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  let wrk = 'wrk';
  try {
    wrk =
      execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0] ??
      wrk;
  } catch (err) {
    wrk = ((err as { stdout?: string }).stdout ?? 'wrk').split('\n')[0] ?? 'wrk';
  }
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, ${wrk.trim()}`;
}

async function main() {
  const log = (m: string) => console.log(`[bench] ${m}`);
  const loadAtStart = os.loadavg()[0]?.toFixed(1);
  const selected = names.length > 0 ? names : Object.keys(registry);
  // Services are measured as they ship: bundled, no tsx (startup compares the bundle with tsx).
  const built = ['history', 'monitor', 'mixed', 'gateway', 'startup'].some((n) => selected.includes(n));
  if (built && !args.includes('--no-build')) {
    log('building the services (npm run build, no web app)');
    await buildServices(
      selected.includes('startup')
        ? ['gateway', 'assistant', 'deployer', 'history', 'monitor']
        : ['gateway', 'assistant', 'history', 'monitor'],
    );
  }
  const measureBare = async () => {
    const bare = await startBareServer();
    try {
      return await runWrk(bare.url, { durationSeconds });
    } finally {
      await bare.close();
    }
  };
  const baseline = await measureBare();
  log(`bare Node http: ${fmt(baseline.rps)} req/s`);
  const ctx: BenchContext = { bareRps: baseline.rps, durationSeconds, log, measureBare };
  const sections: Record<string, string> = {};
  const failed: string[] = [];
  for (const name of selected) {
    const entry = registry[name];
    if (!entry) throw new Error(`unknown benchmark ${name}`);
    const file = path.join(import.meta.dirname, entry.file);
    if (!existsSync(file)) {
      log(`${name}: no benchmark yet`);
      continue;
    }
    const mod = (await import(file)) as Record<string, Bench>;
    const bench = mod[entry.exportName];
    if (!bench) throw new Error(`${entry.file} does not export ${entry.exportName}`);
    log(`${name}: running`);
    // One benchmark that fails does not throw away the others' figures: it is reported, and the run fails.
    let rows: BenchRow[];
    try {
      rows = await bench(ctx);
    } catch (err) {
      failed.push(name);
      log(`${name}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      continue;
    }
    const table = [
      '| scenario | engine | req/s | p50 ms | p99 ms | × bare Node | RSS MB | target | verdict | note |',
      '|---|---|---:|---:|---:|---:|---:|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.scenario} | ${r.engine ?? ''} | ${fmt(r.rps)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.ratioToBare, 2)} | ${fmt(r.rssMb)} | ${r.target ?? ''} | ${r.verdict ?? ''} | ${r.note ?? ''} |`,
      ),
    ].join('\n');
    sections[name] =
      `## ${name}\n\n_Measured ${new Date().toISOString().slice(0, 16)}Z, bare Node ${fmt(baseline.rps)} req/s._\n\n${table}\n`;
    console.log(table);
  }
  const out = path.join(root, 'docs', 'BENCHMARKS.md');
  const header = `# Benchmarks\n\nWritten by \`npm run bench\`. Load from wrk on loopback, 16 connections, ${durationSeconds} s per scenario, services as their own processes with their real databases. Each figure is also a ratio to a bare Node \`http\` server answering a fixed JSON in the same run (history, monitor: measured again next to each scenario, the figure in the note). RSS MB: history, monitor and mixed give the service's RSS at the end of the load run (built service, \`node dist/main.js\`); the others the peak during the run.\n`;
  const run = `## Run of ${new Date().toISOString()}\n\nMachine: ${describeMachine()}.\nBare Node http baseline: ${fmt(baseline.rps)} req/s (p50 ${fmt(baseline.p50Ms, 2)} ms, p99 ${fmt(baseline.p99Ms, 2)} ms).\nLoad average at the start ${loadAtStart}, at the end ${os.loadavg()[0]?.toFixed(1)} (${os.cpus().length} cores).\nBenchmarks run: ${Object.keys(sections).join(', ')}.\n\n`;
  // A partial run (`npm run bench -- history`) keeps the other benchmarks' sections from the last run,
  // each with the date of the run that made it.
  const previous = existsSync(out) ? readSections(readFileSync(out, 'utf8')) : {};
  const merged = [...Object.keys(registry), ...keptSections]
    .map((name) => sections[name] ?? previous[name])
    .filter((section): section is string => section !== undefined);
  const notesFile = path.join(root, 'docs', 'benchmark-notes.md');
  const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, 'utf8')}` : '';
  writeFileSync(out, `${header}\n${run}${merged.join('\n')}${notes}`);
  log(`wrote ${path.relative(root, out)}`);
  if (failed.length > 0) {
    log(`failed: ${failed.join(', ')} (their sections keep the last run's figures)`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
