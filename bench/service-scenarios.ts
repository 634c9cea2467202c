// What the history and monitor benchmarks share: the engines they run on, and a wrk scenario against a
// built service measured as a ratio to the bare Node server measured just before it.
import os from 'node:os';
import { runWrk, withPeakRss, type BenchContext, type BenchRow, type WrkOptions } from './lib.ts';

export const engines = [
  { dialect: 'sqlite', name: 'SQLite', judged: true },
  { dialect: 'mysql', name: 'MariaDB', judged: true },
  { dialect: 'postgres', name: 'PostgreSQL', judged: false },
] as const;

export const rssBudgetMb = 120;

/** A throughput target as the issue states it: a share of bare Node, a p99 ceiling, RSS at the end. */
export interface RatioTarget {
  ratio: number;
  p99Ms: number;
}

export function describeTarget(target: RatioTarget): string {
  return `≥ ${target.ratio}× bare, p99 ≤ ${target.p99Ms} ms, RSS ≤ ${rssBudgetMb} MB`;
}

/**
 * Runs one wrk scenario against a service and returns its row. The verdict is given on the engines the
 * issue judges (SQLite, MariaDB); PostgreSQL's figures are reported beside them.
 */
export async function runScenario(
  ctx: BenchContext,
  options: {
    scenario: string;
    engine: (typeof engines)[number];
    pid: number;
    url: string;
    wrk: WrkOptions;
    target: RatioTarget;
  },
): Promise<BenchRow> {
  const bare = await ctx.measureBare();
  // One second of the same load first (JIT, caches, pool connections), not counted.
  await runWrk(options.url, { ...options.wrk, durationSeconds: 1 });
  const run = await withPeakRss(options.pid, () =>
    runWrk(options.url, { durationSeconds: ctx.durationSeconds, ...options.wrk }),
  );
  const r = run.result;
  const ratio = r.rps / bare.rps;
  const met =
    ratio >= options.target.ratio &&
    r.p99Ms <= options.target.p99Ms &&
    run.endRssMb <= rssBudgetMb &&
    r.errors === 0;
  const notes = [
    `bare ${Math.round(bare.rps).toLocaleString('en')} req/s just before`,
    // Other work on the machine shows here: above the core count, every process waits for a core.
    `load average ${os.loadavg()[0]?.toFixed(1)}`,
  ];
  if (r.errors > 0) notes.push(`${r.errors} errors of ${r.requests}`);
  if (run.peakRssMb > run.endRssMb) notes.push(`peak RSS ${run.peakRssMb} MB`);
  return {
    scenario: options.scenario,
    engine: options.engine.name,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    ratioToBare: ratio,
    rssMb: run.endRssMb,
    target: options.engine.judged ? describeTarget(options.target) : '(reported)',
    verdict: options.engine.judged ? (met ? 'met' : 'missed') : '',
    note: notes.join('; '),
  };
}
