import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, UnavailableError } from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { Plan } from '../plan/plan.ts';
import { buildCliArguments } from './cli-arguments.ts';
import { mapCliFailure } from './cli-errors.ts';
import { traceCliRun } from './cli-span.ts';
import { readCliOutput, readDryRunOutcome, type CliRunResult, type DryRunVerdict } from './run-result.ts';

export type { CliRunResult, DryRunVerdict } from './run-result.ts';

/** The slice of a pino logger the executor uses. */
export interface ExecutorLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
}

export interface AwsCliExecutorOptions {
  catalog: AwsModelCatalog;
  /** A verified CLI v2 path (see `findAwsCli`). */
  cliPath: string;
  /** Operator endpoint override (`ASSISTANT_AWS_ENDPOINT_URL`); never from a user. */
  endpointUrl?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** AWS_MAX_ATTEMPTS for the child; the CLI's own retries count against the timeout. */
  maxAttempts?: number;
  /** Where private HOME folders are made (default: the OS temp folder). */
  tempRoot?: string;
  log?: ExecutorLogger;
}

export interface AwsCliExecutor {
  run(plan: Plan, credentials: AwsSigningKeys, options?: { signal?: AbortSignal }): Promise<CliRunResult>;
  /** Runs the operation's own dry run when the service offers one (EC2); undefined otherwise. */
  dryRun(
    plan: Plan,
    credentials: AwsSigningKeys,
    options?: { signal?: AbortSignal },
  ): Promise<DryRunVerdict | undefined>;
  supportsDryRun(plan: Plan): boolean;
}

export const DEFAULT_CLI_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 5 * 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;

interface ChildOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs validated plans through the AWS CLI v2 as a child process: an argument vector (never a shell), an
 * environment holding only the user's credentials and what the CLI needs, a private empty HOME, no
 * config or credential files, a timeout and an output cap.
 */
export function createAwsCliExecutor(options: AwsCliExecutorOptions): AwsCliExecutor {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const { catalog } = options;

  function buildEnv(plan: Plan, credentials: AwsSigningKeys, home: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_DEFAULT_REGION: plan.region,
      // No profile, config or credentials file may be read: /dev/null is an empty file.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
      AWS_CLI_AUTO_PROMPT: 'off',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_DEFAULT_OUTPUT: 'json',
      AWS_MAX_ATTEMPTS: String(options.maxAttempts ?? 3),
      PYTHONDONTWRITEBYTECODE: '1',
    };
    if (credentials.sessionToken) env['AWS_SESSION_TOKEN'] = credentials.sessionToken;
    return env;
  }

  async function spawnCli(
    argv: string[],
    env: NodeJS.ProcessEnv,
    signal?: AbortSignal,
  ): Promise<ChildOutcome> {
    const started = performance.now();
    return new Promise<ChildOutcome>((resolve, reject) => {
      const child = spawn(options.cliPath, argv, {
        env,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: env['HOME'],
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let stdoutBytes = 0;
      let stderrBytes = 0;
      let failure: AppError | undefined;
      const stop = (error: AppError): void => {
        if (failure) return;
        failure = error;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () =>
          stop(
            new AppError(
              504,
              'AWS_CLI_TIMEOUT',
              `the AWS CLI did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`,
              undefined,
              { expose: true },
            ),
          ),
        timeoutMs,
      );
      const onAbort = (): void =>
        stop(new AppError(499, 'CANCELLED', 'the request was cancelled', undefined, { expose: true }));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes > maxOutputBytes) {
          stop(
            new AppError(
              413,
              'OUTPUT_TOO_LARGE',
              `the result is larger than ${maxOutputBytes} bytes; narrow the request (filters or --query)`,
              undefined,
              { expose: true },
            ),
          );
          return;
        }
        stdout.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderrBytes < MAX_STDERR_BYTES) stderr.push(chunk);
        stderrBytes += chunk.length;
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(
          new AppError(
            503,
            'AWS_CLI_UNAVAILABLE',
            `the AWS CLI could not be started: ${err.message}`,
            undefined,
            { expose: true },
          ),
        );
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (failure) {
          reject(failure);
          return;
        }
        resolve({
          exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          durationMs: performance.now() - started,
        });
      });
    });
  }

  async function withPrivateHome<T>(work: (home: string) => Promise<T>): Promise<T> {
    const home = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'ashapp-aws-'));
    try {
      return await work(home);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }

  async function run(
    plan: Plan,
    credentials: AwsSigningKeys,
    runOptions: { signal?: AbortSignal } = {},
  ): Promise<CliRunResult> {
    const argv = buildCliArguments(
      catalog,
      plan,
      options.endpointUrl ? { endpointUrl: options.endpointUrl } : {},
    );
    return withPrivateHome(async (home) => {
      const outcome = await traceCliRun(plan, false, () =>
        spawnCli(argv, buildEnv(plan, credentials, home), runOptions.signal),
      );
      options.log?.info(
        {
          service: plan.service,
          operation: plan.operation,
          exitCode: outcome.exitCode,
          durationMs: Math.round(outcome.durationMs),
        },
        'aws cli finished',
      );
      if (outcome.exitCode !== 0) throw mapCliFailure(outcome.exitCode, outcome.stderr);
      return readCliOutput(outcome.stdout, outcome.durationMs, argv);
    });
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
    const argv = buildCliArguments(catalog, plan, {
      dryRun: true,
      ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
    });
    return withPrivateHome(async (home) => {
      const outcome = await traceCliRun(plan, true, () =>
        spawnCli(argv, buildEnv(plan, credentials, home), runOptions.signal),
      );
      return readDryRunOutcome(outcome.exitCode, outcome.stderr);
    });
  }

  return { run, dryRun, supportsDryRun };
}

/**
 * The executor of an assistant whose machine has no AWS CLI v2: planning still works (users see the exact
 * command), running anything answers 503 with what to install, and readiness reports the same.
 */
export function createUnavailableExecutor(reason: string): AwsCliExecutor {
  const refuse = async (): Promise<never> => {
    throw new UnavailableError(`cannot run AWS commands here: ${reason}`);
  };
  return { run: refuse, dryRun: refuse, supportsDryRun: () => false };
}
