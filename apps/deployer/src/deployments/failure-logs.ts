import { maskSecretsInText, type Logger } from '@ashapp/platform';
import type { DeployTarget, WorkloadRef } from '../targets/deploy-target.ts';

/** How many of the container's last lines a failure shows. */
export const failureLogLines = 30;
/** A traceback longer than this is cut in the middle (the first frames and the exception stay). */
const maxTracebackLines = 60;

/**
 * The first Python traceback in a container's output: from `Traceback (most recent call last):` to the
 * exception line (`ModuleNotFoundError: No module named 'x'`), prefixes such as gunicorn's
 * `[2026-…] [7] [ERROR]` left as they are. The first, because gunicorn repeats the cause and then adds its
 * own "Worker failed to boot" errors that say nothing about it.
 */
export function extractTraceback(lines: readonly string[]): string[] | undefined {
  const start = lines.findIndex((l) => l.includes('Traceback (most recent call last):'));
  if (start < 0) return undefined;
  const block: string[] = [lines[start]!];
  for (let i = start + 1; i < lines.length; i += 1) {
    const line = lines[i]!;
    block.push(line);
    // Frames and source lines are indented; the first line at column 0 after them is the exception.
    if (line.length > 0 && !/^\s/.test(line) && i > start + 1) break;
  }
  if (block.length <= maxTracebackLines) return block;
  return [
    ...block.slice(0, 20),
    `  … ${block.length - maxTracebackLines} lines left out …`,
    ...block.slice(-(maxTracebackLines - 20)),
  ];
}

/** The exception line of a traceback (`ModuleNotFoundError: No module named 'requests'`). */
export function readExceptionLine(traceback: readonly string[]): string | undefined {
  return traceback.at(-1)?.trim() || undefined;
}

export interface FailureLogs {
  traceback: string[] | undefined;
  tail: string[];
}

/** The container's last lines and its first traceback, secrets masked; undefined when the target has none. */
export async function readFailureLogs(
  target: DeployTarget,
  workload: WorkloadRef,
  log: Logger,
): Promise<FailureLogs | undefined> {
  if (!target.readLogs) return undefined;
  let lines: string[];
  try {
    lines = await target.readLogs(workload, failureLogLines * 4);
  } catch (err) {
    log.warn({ err, app: workload.appName }, 'could not read the failed container logs');
    return undefined;
  }
  if (lines.length === 0) return undefined;
  const masked = lines.map((l) => maskSecretsInText(l));
  return { traceback: extractTraceback(masked), tail: masked.slice(-failureLogLines) };
}

/** The failure message for the record: the reason, the app's own exception, then the traceback and tail. */
export function describeFailure(summary: string, logs: FailureLogs | undefined): string {
  if (!logs) return summary;
  const exception = logs.traceback ? readExceptionLine(logs.traceback) : undefined;
  const parts = [exception ? `${summary} — the app failed with ${exception}` : summary];
  if (logs.traceback) parts.push(`First traceback:\n${logs.traceback.join('\n')}`);
  parts.push(`Last ${logs.tail.length} log lines:\n${logs.tail.join('\n')}`);
  return parts.join('\n\n');
}
