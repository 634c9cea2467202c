import { UnavailableError } from '@ashapp/platform';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import { createAwsCliExecutor, createUnavailableExecutor, type AwsCliExecutor } from './cli-executor.ts';
import type { ExecutorLogger } from './cli-executor.ts';
import type { AwsCliLocation } from './find-aws-cli.ts';
import { createWarmExecutor, NotDispatchedError, type ManagedExecutor } from './warm-executor.ts';

export type ExecutorMode = 'warm' | 'cli' | 'auto';

export interface SelectExecutorOptions {
  mode: ExecutorMode;
  catalog: AwsModelCatalog;
  /** A verified CLI v2, or why there is none. */
  cli: AwsCliLocation | { unavailable: string };
  /** The CLI's Python (from its `#!` line or configuration); undefined when the CLI is not a Python script. */
  pythonPath: string | undefined;
  endpointUrl?: string;
  timeoutMs: number;
  maxOutputBytes: number;
  workers: number;
  log: ExecutorLogger & { error(obj: Record<string, unknown>, msg?: string): void };
}

function unmanaged(executor: AwsCliExecutor, kind: 'cli', reason?: string): ManagedExecutor {
  return {
    kind,
    run: executor.run,
    dryRun: executor.dryRun,
    supportsDryRun: executor.supportsDryRun,
    start: async () => undefined,
    close: async () => undefined,
    checkReady: () => {
      if (reason) throw new UnavailableError(reason);
    },
  };
}

/**
 * The executor the configuration asks for (`ASSISTANT_EXECUTOR`):
 * - `cli`: every call spawns the AWS CLI (ADR 0004);
 * - `warm`: only the warm worker pool (ADR 0011); calls answer 503 while it is down;
 * - `auto` (default): the warm pool, and the CLI for any call the pool could not take (not started, no
 *   Python CLI, restarting after repeated failures). A call a worker has received is never re-sent.
 */
export function selectExecutor(options: SelectExecutorOptions): ManagedExecutor {
  const { cli, log } = options;
  if ('unavailable' in cli)
    return unmanaged(createUnavailableExecutor(cli.unavailable), 'cli', cli.unavailable);
  const cliExecutor = createAwsCliExecutor({
    catalog: options.catalog,
    cliPath: cli.path,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes,
    log,
    ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
  });
  if (options.mode === 'cli') return unmanaged(cliExecutor, 'cli');
  if (!options.pythonPath) {
    const reason = `${cli.path} is not a Python script, so there is no botocore to keep warm`;
    if (options.mode === 'warm')
      return unmanaged(createUnavailableExecutor(reason), 'cli', `ASSISTANT_EXECUTOR=warm: ${reason}`);
    log.warn({ reason }, 'warm AWS executor not possible: every call uses the AWS CLI');
    return unmanaged(cliExecutor, 'cli');
  }
  const warm = createWarmExecutor({
    catalog: options.catalog,
    pythonPath: options.pythonPath,
    poolSize: options.workers,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes,
    log,
    ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
  });
  if (options.mode === 'warm') {
    return {
      ...warm,
      start: async () => {
        // The service still starts (planning works); /ready and each call say what is wrong.
        await warm.start().catch((err: unknown) => {
          log.error({ reason: (err as Error).message }, 'warm AWS executor could not start');
        });
      },
    };
  }

  async function withFallback<T>(warmCall: () => Promise<T>, cliCall: () => Promise<T>): Promise<T> {
    try {
      return await warmCall();
    } catch (err) {
      if (!(err instanceof NotDispatchedError)) throw err;
      log.warn({ reason: err.message }, 'warm AWS executor unavailable: this call uses the AWS CLI');
      return cliCall();
    }
  }

  return {
    kind: 'auto',
    run: (plan, credentials, runOptions) =>
      withFallback(
        () => warm.run(plan, credentials, runOptions),
        () => cliExecutor.run(plan, credentials, runOptions),
      ),
    dryRun: (plan, credentials, runOptions) =>
      withFallback(
        () => warm.dryRun(plan, credentials, runOptions),
        () => cliExecutor.dryRun(plan, credentials, runOptions),
      ),
    supportsDryRun: warm.supportsDryRun,
    start: async () => {
      await warm.start().catch((err: unknown) => {
        log.warn({ reason: (err as Error).message }, 'warm AWS executor could not start: using the AWS CLI');
      });
    },
    close: warm.close,
    // The CLI is always there to fall back on.
    checkReady: () => undefined,
  };
}
