import type { ExecutionSetup } from './deferred-executor.ts';
import { findAwsCli } from './find-aws-cli.ts';
import { findCliPython } from './warm-executor.ts';

export interface ProbeHostOptions {
  /** `AWS_CLI_PATH`; otherwise the usual places (never PATH). */
  awsCliPath?: string | undefined;
  /** `ASSISTANT_EXECUTOR_PYTHON`; otherwise the CLI's own `#!` interpreter. */
  executorPython?: string | undefined;
  log: {
    info(obj: Record<string, unknown>, msg?: string): void;
    error(obj: Record<string, unknown>, msg?: string): void;
  };
}

/**
 * Finds what running plans needs on this host. Never rejects: without the CLI the assistant still plans,
 * answers runs with what to install, and /ready says why.
 */
export async function probeExecutionHost(options: ProbeHostOptions): Promise<ExecutionSetup> {
  const { log } = options;
  const cli = await findAwsCli(options.awsCliPath ? { configuredPath: options.awsCliPath } : {}).catch(
    (err: unknown) => ({ unavailable: `${(err as Error).message} (Debian: apt-get install awscli)` }),
  );
  if ('unavailable' in cli) {
    log.error({ reason: cli.unavailable }, 'AWS CLI v2 not found: commands cannot run');
    return { cli };
  }
  log.info({ cli: cli.path, version: cli.version }, 'AWS CLI v2 found');
  const cliPython = options.executorPython ?? (await findCliPython(cli.path));
  return { cli, ...(cliPython ? { cliPython } : {}) };
}
