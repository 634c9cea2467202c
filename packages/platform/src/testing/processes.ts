import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A port that was free a moment ago on 127.0.0.1. */
/** A port free on `host` (127.0.0.1 by default) a moment ago. */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts a service's `main.ts` as its own process (through tsx) and resolves once `GET /health` answers,
 * or rejects with its output if it exits or does not answer within `timeoutMs`.
 */
export async function startServiceProcess(options: {
  entry: string;
  port: number;
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const stop = async (timeoutMs = 10_000) => {
    if (hasExited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`${options.entry} exited before answering:\n${output}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { url, child, output: () => output, stop };
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  await stop();
  throw new Error(`${options.entry} did not answer /health in time:\n${output}`);
}
