import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, UnavailableError } from '@ashapp/platform';

/** What the pool sends a worker for one call (see warm-worker.py for the protocol). */
export interface WorkerRequest {
  service: string;
  operation: string;
  params: Record<string, unknown>;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  query?: string;
  dryRun?: boolean;
  maxOutputBytes: number;
}

export type WorkerAnswer =
  | { ok: true; stdout: string }
  | { ok: false; tooLarge: true }
  | { ok: false; exitCode: number; stderr: string };

export interface WarmWorkerOptions {
  pythonPath: string;
  scriptPath: string;
  /** Operator endpoint override; the only way an endpoint reaches the worker. */
  endpointUrl?: string;
  maxAttempts: number;
  startTimeoutMs: number;
  tempRoot?: string;
}

export interface WarmWorker {
  readonly pid: number | undefined;
  /** Runs one call; the worker serves one call at a time. */
  call(request: WorkerRequest, limits: { timeoutMs: number; signal?: AbortSignal }): Promise<WorkerAnswer>;
  /** Resolves when the process has exited (after a crash, a kill or `stop`). */
  readonly exited: Promise<void>;
  readonly alive: boolean;
  stop(): Promise<void>;
}

/**
 * Refusal before anything was sent to AWS: the call can safely go another way (the CLI), even a change,
 * because no worker ever saw it.
 */
export class NotDispatchedError extends UnavailableError {}

// Room for the JSON envelope around an output that is just under the cap (escapes can double its size).
const ENVELOPE_BYTES = 64 * 1024;
const MAX_STDERR_BYTES = 16 * 1024;

/**
 * Starts one warm worker: the CLI's own Python with the worker script, an environment with no AWS
 * credentials and no config or credentials files, a private empty HOME (also its cwd), and resolves once
 * the worker says it is ready.
 */
export async function startWarmWorker(options: WarmWorkerOptions): Promise<WarmWorker> {
  const home = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'ashapp-warm-'));
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: String(options.maxAttempts),
    ...(options.endpointUrl ? { ASHAPP_WARM_ENDPOINT_URL: options.endpointUrl } : {}),
  };
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(options.pythonPath, ['-I', '-B', options.scriptPath], { env, cwd: home, shell: false });
  } catch (err) {
    await rm(home, { recursive: true, force: true });
    throw new UnavailableError(`the warm AWS executor could not be started: ${(err as Error).message}`);
  }
  let alive = true;
  // Marked dead at once: a killed worker must not be handed the next call before its 'close' arrives.
  const kill = (): void => {
    alive = false;
    child.kill('SIGKILL');
  };
  let buffer = '';
  let stderr = '';
  let onLine: ((line: string) => void) | undefined;
  let onExit: ((reason: string) => void) | undefined;
  let pending: { limit: number; fail: (error: AppError) => void } | undefined;

  const exited = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      alive = false;
      onExit?.(
        `exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`,
      );
      rm(home, { recursive: true, force: true }).then(
        () => resolve(),
        () => resolve(),
      );
    });
  });
  child.on('error', (err) => {
    stderr += err.message;
  });
  // A worker that died between two calls makes the next write fail; its 'close' already reports that.
  child.stdin.on('error', () => undefined);
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
  });
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    if (pending && Buffer.byteLength(buffer) > pending.limit + ENVELOPE_BYTES) {
      // Not even the worker's own cap stopped it: end the worker rather than hold an unbounded buffer.
      pending.fail(tooLarge(pending.limit));
      kill();
      return;
    }
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      onLine?.(line);
      index = buffer.indexOf('\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new UnavailableError('the warm AWS executor did not start in time'));
    }, options.startTimeoutMs);
    onExit = (reason) => {
      clearTimeout(timer);
      reject(new UnavailableError(`the warm AWS executor could not start: ${reason}`));
    };
    onLine = (line) => {
      clearTimeout(timer);
      try {
        if ((JSON.parse(line) as { ready?: boolean }).ready === true) {
          resolve();
          return;
        }
      } catch {
        // falls through to the rejection below
      }
      kill();
      reject(new UnavailableError('the warm AWS executor answered its start with something unexpected'));
    };
  }).catch(async (err: unknown) => {
    await exited;
    throw err;
  });
  onLine = undefined;
  onExit = undefined;

  function call(
    request: WorkerRequest,
    limits: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<WorkerAnswer> {
    if (!alive || pending)
      return Promise.reject(new NotDispatchedError('the warm AWS executor is not available'));
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        limits.signal?.removeEventListener('abort', onAbort);
        pending = undefined;
        onLine = undefined;
        onExit = undefined;
      };
      const fail = (error: AppError): void => {
        finish();
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(
          new AppError(
            504,
            'AWS_CLI_TIMEOUT',
            `the AWS call did not finish within ${Math.round(limits.timeoutMs / 1000)} s and was stopped`,
            undefined,
            { expose: true },
          ),
        );
        // The call may still be running inside the worker: only a new process is certainly clean.
        kill();
      }, limits.timeoutMs);
      const onAbort = (): void => {
        fail(new AppError(499, 'CANCELLED', 'the request was cancelled', undefined, { expose: true }));
        kill();
      };
      limits.signal?.addEventListener('abort', onAbort, { once: true });
      pending = { limit: request.maxOutputBytes, fail };
      onExit = (reason) => fail(new UnavailableError(`the warm AWS executor ${reason}`));
      onLine = (line) => {
        let answer: WorkerAnswer;
        try {
          answer = JSON.parse(line) as WorkerAnswer;
        } catch {
          fail(new UnavailableError('the warm AWS executor answered with something that is not JSON'));
          kill();
          return;
        }
        finish();
        resolve(answer);
      };
      child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  async function stop(): Promise<void> {
    if (alive) {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await exited;
  }

  return {
    pid: child.pid,
    call,
    exited,
    get alive() {
      return alive;
    },
    stop,
  };
}

export function tooLarge(limit: number): AppError {
  return new AppError(
    413,
    'OUTPUT_TOO_LARGE',
    `the result is larger than ${limit} bytes; narrow the request (filters or --query)`,
    undefined,
    { expose: true },
  );
}
