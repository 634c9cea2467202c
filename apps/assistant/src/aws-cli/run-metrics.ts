import { AppError, type MetricsRegistry } from '@ashapp/platform';
import { Histogram } from 'prom-client';
import type { ManagedExecutor } from './warm-executor.ts';

export type RunOutcome = 'success' | 'error' | 'timeout';

export interface CliRunMetrics {
  /** The executor with every `run` timed, whatever its outcome. */
  instrument(executor: ManagedExecutor): ManagedExecutor;
  /** Adds the histogram to the app's registry (once the app exists). */
  register(registry: MetricsRegistry): void;
}

// The same buckets as before the metric moved here from the audit-derived ones, so dashboards keep their
// resolution: CLI runs take from a tenth of a second (warm) to the full timeout.
const buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

/** Label values are bounded: AWS service names come from the validated plan (the model index), else "other". */
function serviceLabel(service: string): string {
  return /^[a-z0-9-]{1,40}$/.test(service) ? service : 'other';
}

/** A timeout is its own outcome: it says the limit is too low or AWS is slow, not that the call was wrong. */
export function classifyRunFailure(err: unknown): RunOutcome {
  return err instanceof AppError && err.status === 504 ? 'timeout' : 'error';
}

/**
 * `ashapp_assistant_cli_duration_seconds{aws_service, outcome}`: how long each executed plan took in the
 * executor (warm worker or CLI child), timed where it runs so failed and timed-out runs count too (an
 * audit event of a failure carries no duration). Dry runs are not counted: they are a prompt's helper.
 */
export function createCliRunMetrics(): CliRunMetrics {
  const duration = new Histogram({
    name: 'ashapp_assistant_cli_duration_seconds',
    help: 'Duration of AWS CLI runs in seconds, by AWS service and outcome (success, error, timeout).',
    labelNames: ['aws_service', 'outcome'],
    buckets,
    registers: [],
  });
  return {
    instrument(executor) {
      return {
        get kind() {
          return executor.kind;
        },
        dryRun: (plan, credentials, options) => executor.dryRun(plan, credentials, options),
        supportsDryRun: (plan) => executor.supportsDryRun(plan),
        start: () => executor.start(),
        close: () => executor.close(),
        checkReady: () => executor.checkReady(),
        async run(plan, credentials, options) {
          const started = performance.now();
          const observe = (outcome: RunOutcome): void =>
            duration.observe(
              { aws_service: serviceLabel(plan.service), outcome },
              (performance.now() - started) / 1000,
            );
          try {
            const result = await executor.run(plan, credentials, options);
            observe('success');
            return result;
          } catch (err) {
            observe(classifyRunFailure(err));
            throw err;
          }
        },
      };
    },
    register(registry) {
      registry.registerMetric(duration);
    },
  };
}
