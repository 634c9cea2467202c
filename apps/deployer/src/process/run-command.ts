import { spawn } from 'node:child_process';

export interface RunCommandOptions {
  command: string;
  args: readonly string[];
  /** The child's whole environment: nothing is inherited, so callers decide what a child may see. */
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  timeoutMs: number;
  /** Called with each complete line of stdout and stderr as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Output kept in the result beyond this is dropped (the callback still sees every line). */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a program with an argument vector (never a shell), streams its output line by line and ends it
 * after `timeoutMs`. Resolves whatever the exit status; callers decide what a failure means.
 */
export function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const maxBytes = options.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: { ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      signal: options.signal,
    });
    const kept = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);

    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (kept[stream].length < maxBytes) kept[stream] += text.slice(0, maxBytes - kept[stream].length);
      if (!options.onLine) return;
      const lines = (pending[stream] + text).split(/\r?\n/);
      pending[stream] = lines.pop() ?? '';
      for (const line of lines) options.onLine(line, stream);
    };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream] && options.onLine) options.onLine(pending[stream], stream);
      }
      resolve({ code, signal, stdout: kept.stdout, stderr: kept.stderr, timedOut });
    });
    // A child that exits without reading stdin makes the write fail with EPIPE; its exit status says more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The last non-empty lines of a command's output, for error messages. */
export function summarizeOutput(result: CommandResult, lines = 5): string {
  const text = `${result.stderr}\n${result.stdout}`;
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
}
