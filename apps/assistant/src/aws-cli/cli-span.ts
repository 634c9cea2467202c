import { withSpan } from '@ashapp/platform';
import type { Plan } from '../plan/plan.ts';

/**
 * Runs one AWS CLI invocation inside a span: the AWS service, operation, region, whether it was a dry run,
 * the exit code and the duration. Never the arguments' values, the environment or the credentials.
 */
export function traceCliRun<T extends { exitCode: number | null; durationMs: number }>(
  plan: Plan,
  dryRun: boolean,
  spawnCli: () => Promise<T>,
): Promise<T> {
  return withSpan(
    `aws.cli ${plan.service} ${plan.operation}`,
    {
      'rpc.system': 'aws-api',
      'rpc.service': plan.service,
      'rpc.method': plan.operation,
      'cloud.region': plan.region,
      'ashapp.aws_cli.dry_run': dryRun,
    },
    async (span) => {
      const outcome = await spawnCli();
      span.setAttribute('process.exit_code', outcome.exitCode ?? -1);
      span.setAttribute('ashapp.aws_cli.duration_ms', Math.round(outcome.durationMs));
      return outcome;
    },
  );
}
