import { readFileSync } from 'node:fs';
import { AppError } from '@ashapp/platform';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import { classifyOperation } from '../safety/read-only.ts';
import type { PlannerChain, PlanResult } from './planner-chain.ts';

/**
 * The plain-language accuracy table (issue 10's measurement): requests over many services, each with the
 * service and operation a DevOps engineer means by it. Used by the test (floors and zero-tolerance counts)
 * and by the report script (figures for docs/BENCHMARKS.md).
 */
export interface AccuracyCase {
  request: string;
  service: string;
  /** The operation's CLI name; `a|b` when either is a right answer. */
  operation: string;
}

export type AccuracyOutcome = 'correct' | 'wrong-operation' | 'wrong-service' | 'not-understood' | 'error';

export interface AccuracyRow {
  request: string;
  expected: string;
  got: string;
  outcome: AccuracyOutcome;
  /** The expected operation changes something but the plan only reads. */
  writeAsRead: boolean;
  /** Asked the user to pick among operations, or for a missing value. */
  asked: 'choice' | 'needs-input' | undefined;
  /** Wall-clock time of the planning call. */
  ms: number;
  /**
   * CPU time the process spent in it (user + system, all threads): unlike wall time it does not count
   * waiting for a core on a loaded machine.
   */
  cpuMs: number;
}

export interface AccuracyReport {
  total: number;
  services: number;
  correct: number;
  accuracy: number;
  wrongService: number;
  writeAsRead: number;
  notUnderstood: number;
  wrongOperation: number;
  asked: number;
  p50Ms: number;
  p99Ms: number;
  cpuP50Ms: number;
  cpuP99Ms: number;
  rows: AccuracyRow[];
}

export function readAccuracyCases(): AccuracyCase[] {
  return JSON.parse(
    readFileSync(new URL('./accuracy.cases.json', import.meta.url), 'utf8'),
  ) as AccuracyCase[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export async function runAccuracyTable(
  chain: PlannerChain,
  catalog: AwsModelCatalog,
  cases: readonly AccuracyCase[] = readAccuracyCases(),
): Promise<AccuracyReport> {
  const rows: AccuracyRow[] = [];
  const isReadOnly = (service: string, operation: string): boolean => {
    const model = catalog.getService(service);
    const op = catalog.getOperation(service, operation);
    return classifyOperation(`${model.modelName}:${op.name}`).readOnly;
  };
  for (const c of cases) {
    const accepted = c.operation.split('|');
    const expectedWrites = accepted.every((op) => !isReadOnly(c.service, op));
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    let result: PlanResult | undefined;
    let failure: unknown;
    try {
      result = await chain.planRequest({ request: c.request, defaultRegion: 'us-east-1' });
    } catch (err) {
      failure = err;
    }
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const row: AccuracyRow = {
      request: c.request,
      expected: `${c.service} ${c.operation}`,
      got: '',
      outcome: 'error',
      writeAsRead: false,
      asked: undefined,
      ms,
      cpuMs,
    };
    if (result) {
      const plans = [result, ...(result.choices ?? [])].map((r) => r.plan);
      row.got = plans.map((p) => `${p.service} ${p.operation}`).join(' or ');
      if (plans.some((p) => p.service !== c.service)) row.outcome = 'wrong-service';
      else if (plans.some((p) => accepted.includes(p.operation))) row.outcome = 'correct';
      else row.outcome = 'wrong-operation';
      if (result.choices) row.asked = 'choice';
      row.writeAsRead = expectedWrites && plans.some((p) => isReadOnly(p.service, p.operation));
    } else if (failure instanceof AppError && failure.code === 'NEEDS_INPUT') {
      const details = failure.details as { service: string; operation: string };
      row.got = `${details.service} ${details.operation} (needs input)`;
      row.asked = 'needs-input';
      if (details.service !== c.service) row.outcome = 'wrong-service';
      else row.outcome = accepted.includes(details.operation) ? 'correct' : 'wrong-operation';
      row.writeAsRead = expectedWrites && isReadOnly(details.service, details.operation);
    } else if (failure instanceof AppError && failure.code === 'NOT_UNDERSTOOD') {
      row.got = 'not understood';
      row.outcome = 'not-understood';
    } else {
      row.got = failure instanceof Error ? failure.message : String(failure);
    }
    rows.push(row);
  }
  const times = rows.map((r) => r.ms).sort((a, b) => a - b);
  const cpuTimes = rows.map((r) => r.cpuMs).sort((a, b) => a - b);
  const count = (outcome: AccuracyOutcome) => rows.filter((r) => r.outcome === outcome).length;
  const correct = count('correct');
  return {
    total: rows.length,
    services: new Set(cases.map((c) => c.service)).size,
    correct,
    accuracy: rows.length === 0 ? 0 : correct / rows.length,
    wrongService: count('wrong-service'),
    writeAsRead: rows.filter((r) => r.writeAsRead).length,
    notUnderstood: count('not-understood'),
    wrongOperation: count('wrong-operation'),
    asked: rows.filter((r) => r.asked !== undefined).length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    cpuP50Ms: percentile(cpuTimes, 50),
    cpuP99Ms: percentile(cpuTimes, 99),
    rows,
  };
}
