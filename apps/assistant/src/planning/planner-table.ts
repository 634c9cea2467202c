import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { BuiltInPlanner } from './builtin-planner.ts';
import { createBuiltInPlanner } from './builtin-planner.ts';
import type { Plan } from '../plan/plan.ts';

export interface PlannerCase {
  request: string;
  plan: Plan;
}

export interface PlannerTableReport {
  total: number;
  passed: number;
  accuracy: number;
  failures: { request: string; expected: Plan; actual: Plan | undefined; error?: string }[];
  /** Per-request planning time in milliseconds, in table order. */
  durationsMs: number[];
  p50Ms: number;
  p99Ms: number;
}

/** The request table shipped beside the planner: plain-language requests and the plans they must give. */
export function readPlannerCases(): PlannerCase[] {
  return JSON.parse(
    readFileSync(new URL('./builtin-planner.cases.json', import.meta.url), 'utf8'),
  ) as PlannerCase[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * Runs every case through the built-in planner (region defaults to us-east-1, as in the table) and
 * reports accuracy and timing. Used by the table test and by `npm run bench`.
 */
export function runPlannerTable(
  planner: BuiltInPlanner = createBuiltInPlanner(),
  cases: PlannerCase[] = readPlannerCases(),
): PlannerTableReport {
  const failures: PlannerTableReport['failures'] = [];
  const durationsMs: number[] = [];
  for (const testCase of cases) {
    const started = performance.now();
    let actual: Plan | undefined;
    let error: string | undefined;
    try {
      actual = planner.plan(testCase.request, { defaultRegion: 'us-east-1' });
    } catch (err) {
      error = (err as Error).message;
    }
    durationsMs.push(performance.now() - started);
    if (!isDeepStrictEqual(actual, testCase.plan)) {
      failures.push({
        request: testCase.request,
        expected: testCase.plan,
        actual,
        ...(error ? { error } : {}),
      });
    }
  }
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const passed = cases.length - failures.length;
  return {
    total: cases.length,
    passed,
    accuracy: cases.length === 0 ? 0 : passed / cases.length,
    failures,
    durationsMs,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}
