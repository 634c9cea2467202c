import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UnavailableError, UpstreamError, type AppError } from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { Plan } from '../plan/plan.ts';
import { buildCliArguments } from './cli-arguments.ts';
import { mapCliFailure } from './cli-errors.ts';
import type { AwsCliExecutor, ExecutorLogger } from './cli-executor.ts';
import { traceCliRun } from './cli-span.ts';
import { readCliOutput, readDryRunOutcome, type CliRunResult, type DryRunVerdict } from './run-result.ts';
import {
  NotDispatchedError,
  startWarmWorker,
  tooLarge,
  type WarmWorker,
  type WorkerAnswer,
  type WorkerRequest,
} from './warm-worker-process.ts';

export const WARM_WORKER_SCRIPT = fileURLToPath(new URL('./warm-worker.py', import.meta.url));

export interface WarmExecutorOptions {
  catalog: AwsModelCatalog;
  /** The CLI's own Python (see `findCliPython`), so the worker imports the botocore the CLI ships. */
  pythonPath: string;
  scriptPath?: string;
  /** Operator endpoint override (`ASSISTANT_AWS_ENDPOINT_URL`); never from a user. */
  endpointUrl?: string;
  poolSize: number;
  timeoutMs: number;
  maxOutputBytes: number;
  maxAttempts?: number;
  startTimeoutMs?: number;
  /** Calls waiting for a free worker beyond this many are refused (503) instead of piling up. */
  maxQueue?: number;
  tempRoot?: string;
  log?: ExecutorLogger;
}

/** An executor with a life cycle: started when the app is ready, closed with it. */
export interface ManagedExecutor extends AwsCliExecutor {
  readonly kind: 'warm' | 'cli' | 'auto';
  start(): Promise<void>;
  close(): Promise<void>;
  /** Throws UnavailableError saying why when nothing can be run; for /ready. */
  checkReady(): void;
}

export { NotDispatchedError };

interface Job {
  request: WorkerRequest;
  deadline: number;
  signal: AbortSignal | undefined;
  resolve: (answer: WorkerAnswer) => void;
  reject: (error: unknown) => void;
}

const FAILURES_BEFORE_PAUSE = 3;
const PAUSE_AFTER_FAILURES_MS = 30_000;

/**
 * Reads the interpreter of a Python-script CLI (`#!/usr/bin/python3`, Debian's awscli): the worker must
 * run under it to import the CLI's own botocore. Undefined for a binary CLI (the official bundled
 * installer), which leaves only the CLI route.
 */
export async function findCliPython(cliPath: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(cliPath, 'r');
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    const first = buffer.subarray(0, bytesRead).toString('latin1').split('\n')[0] ?? '';
    const match = /^#!\s*(\/\S+\/python3(?:\.\d+)?)\s*$/.exec(first);
    return match?.[1];
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/**
 * Runs validated plans through a pool of long-lived Python workers that call botocore directly: the same
 * operation, parameters and JSON output as `aws … --output json`, without the CLI's start-up per request.
 * Each call carries its own credentials to a fresh botocore client; a timeout or an over-long answer ends
 * the worker, and a worker that exits is replaced.
 */
export interface WarmExecutor extends ManagedExecutor {
  /** Process ids of the live workers (metrics and tests). */
  workerPids(): number[];
}

export function createWarmExecutor(options: WarmExecutorOptions): WarmExecutor {
  const { catalog } = options;
  const maxQueue = options.maxQueue ?? 256;
  const idle: WarmWorker[] = [];
  const workers = new Set<WarmWorker>();
  const queue: Job[] = [];
  const background = new Set<Promise<void>>();
  let starting = 0;
  let failures = 0;
  let pausedUntil = 0;
  let lastFailure: string | undefined;
  let closed = false;

  function track(work: Promise<void>): void {
    background.add(work);
    // Tracked, not forgotten: close() awaits `background`, and every tracked promise handles its own failure.
    void work.finally(() => background.delete(work));
  }

  const paused = (): boolean => failures >= FAILURES_BEFORE_PAUSE && Date.now() < pausedUntil;

  function unavailable(): NotDispatchedError {
    return new NotDispatchedError(
      `the warm AWS executor is not available${lastFailure ? ` (${lastFailure})` : ''}`,
    );
  }

  function rejectQueue(error: unknown): void {
    for (const job of queue.splice(0)) job.reject(error);
  }

  async function spawnWorker(): Promise<void> {
    starting += 1;
    try {
      const worker = await startWarmWorker({
        pythonPath: options.pythonPath,
        scriptPath: options.scriptPath ?? WARM_WORKER_SCRIPT,
        maxAttempts: options.maxAttempts ?? 3,
        startTimeoutMs: options.startTimeoutMs ?? 20_000,
        ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
        ...(options.tempRoot ? { tempRoot: options.tempRoot } : {}),
      });
      failures = 0;
      lastFailure = undefined;
      if (closed) {
        await worker.stop();
        return;
      }
      workers.add(worker);
      track(worker.exited.then(() => retire(worker)));
      release(worker);
    } catch (err) {
      failures += 1;
      lastFailure = (err as Error).message;
      options.log?.warn({ failures, reason: lastFailure }, 'warm AWS executor worker failed to start');
      if (failures >= FAILURES_BEFORE_PAUSE) {
        pausedUntil = Date.now() + PAUSE_AFTER_FAILURES_MS;
        rejectQueue(unavailable());
      }
    } finally {
      starting -= 1;
    }
    if (!closed && !paused() && workers.size + starting < options.poolSize) fill();
  }

  function fill(): void {
    while (!closed && !paused() && workers.size + starting < options.poolSize) track(spawnWorker());
  }

  function retire(worker: WarmWorker): void {
    workers.delete(worker);
    const index = idle.indexOf(worker);
    if (index >= 0) idle.splice(index, 1);
    if (!closed) fill();
  }

  function release(worker: WarmWorker): void {
    if (!worker.alive || closed) return;
    const job = queue.shift();
    if (job) dispatch(worker, job);
    else idle.push(worker);
  }

  function dispatch(worker: WarmWorker, job: Job): void {
    const timeoutMs = Math.max(1, job.deadline - Date.now());
    track(
      worker
        .call(job.request, { timeoutMs, ...(job.signal ? { signal: job.signal } : {}) })
        .then(job.resolve, job.reject)
        .finally(() => release(worker)),
    );
  }

  function submit(request: WorkerRequest, signal: AbortSignal | undefined): Promise<WorkerAnswer> {
    if (closed) return Promise.reject(unavailable());
    if (paused()) return Promise.reject(unavailable());
    fill();
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const job: Job = { request, deadline: Date.now() + options.timeoutMs, signal, resolve, reject };
      const worker = idle.shift();
      if (worker) {
        dispatch(worker, job);
        return;
      }
      if (workers.size + starting === 0) {
        reject(unavailable());
        return;
      }
      if (queue.length >= maxQueue) {
        reject(new NotDispatchedError('every warm AWS executor worker is busy; try again shortly'));
        return;
      }
      queue.push(job);
    });
  }

  function buildRequest(plan: Plan, credentials: AwsSigningKeys, dryRun: boolean): WorkerRequest {
    const service = catalog.getService(plan.service);
    const operation = catalog.getOperation(plan.service, plan.operation);
    const params: Record<string, unknown> = {};
    for (const [member, value] of Object.entries(plan.parameters)) {
      if (value === undefined || (dryRun && member === 'DryRun')) continue;
      params[member] = value;
    }
    return {
      service: service.modelName,
      operation: operation.name,
      params,
      region: plan.region,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      },
      ...(plan.query !== undefined ? { query: plan.query } : {}),
      ...(dryRun ? { dryRun: true } : {}),
      maxOutputBytes: options.maxOutputBytes,
    };
  }

  function exitCodeOf(answer: WorkerAnswer): number {
    if (answer.ok) return 0;
    return 'exitCode' in answer ? answer.exitCode : 1;
  }

  function failureOf(answer: Exclude<WorkerAnswer, { ok: true }>): AppError {
    if ('tooLarge' in answer) return tooLarge(options.maxOutputBytes);
    return mapCliFailure(answer.exitCode, answer.stderr);
  }

  async function run(
    plan: Plan,
    credentials: AwsSigningKeys,
    runOptions: { signal?: AbortSignal } = {},
  ): Promise<CliRunResult> {
    // The equivalent CLI words, for the record only (the endpoint override is left out as in the CLI's).
    const argv = buildCliArguments(catalog, plan);
    const request = buildRequest(plan, credentials, false);
    // The same span as a CLI run (operation, region, exit code, duration), whichever executor ran it.
    const { answer, durationMs } = await traceCliRun(plan, false, async () => {
      const started = performance.now();
      const reply = await submit(request, runOptions.signal);
      return { answer: reply, durationMs: performance.now() - started, exitCode: exitCodeOf(reply) };
    });
    options.log?.info(
      {
        service: plan.service,
        operation: plan.operation,
        executor: 'warm',
        ok: answer.ok,
        durationMs: Math.round(durationMs),
      },
      'aws call finished',
    );
    if (!answer.ok) throw failureOf(answer);
    return readCliOutput(answer.stdout, durationMs, argv);
  }

  function supportsDryRun(plan: Plan): boolean {
    const operation = catalog.getOperation(plan.service, plan.operation);
    return operation.parameters.get('DryRun')?.shape.type === 'boolean';
  }

  async function dryRun(
    plan: Plan,
    credentials: AwsSigningKeys,
    runOptions: { signal?: AbortSignal } = {},
  ): Promise<DryRunVerdict | undefined> {
    if (!supportsDryRun(plan)) return undefined;
    const { answer } = await traceCliRun(plan, true, async () => {
      const started = performance.now();
      const reply = await submit(buildRequest(plan, credentials, true), runOptions.signal);
      return { answer: reply, durationMs: performance.now() - started, exitCode: exitCodeOf(reply) };
    });
    if (answer.ok) return readDryRunOutcome(0, '');
    if ('tooLarge' in answer)
      throw new UpstreamError('the dry run answered with an unexpectedly large result');
    return readDryRunOutcome(answer.exitCode, answer.stderr);
  }

  async function start(): Promise<void> {
    fill();
    while (starting > 0 && workers.size === 0) await Promise.race([...background]);
    if (workers.size === 0) throw unavailable();
  }

  async function close(): Promise<void> {
    closed = true;
    rejectQueue(new UnavailableError('the assistant is shutting down'));
    await Promise.all([...workers].map((worker) => worker.stop()));
    while (background.size > 0) await Promise.allSettled([...background]);
  }

  function checkReady(): void {
    if (workers.size === 0 && (paused() || closed)) throw unavailable();
  }

  function workerPids(): number[] {
    return [...workers].flatMap((worker) => (worker.alive && worker.pid !== undefined ? [worker.pid] : []));
  }

  return { kind: 'warm', run, dryRun, supportsDryRun, start, close, checkReady, workerPids };
}
