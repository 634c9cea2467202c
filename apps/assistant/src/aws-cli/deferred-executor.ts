import { UnavailableError } from '@ashapp/platform';
import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { Plan } from '../plan/plan.ts';
import type { AwsCliLocation } from './find-aws-cli.ts';
import type { ManagedExecutor } from './warm-executor.ts';

/** What running plans needs from the host: a verified CLI v2 (or why there is none) and its Python. */
export interface ExecutionSetup {
  cli: AwsCliLocation | { unavailable: string };
  /** The Python the warm executor runs; none = the CLI route only. */
  cliPython?: string;
}

export interface DeferredExecutor extends ManagedExecutor {
  /** Why nothing can run (no CLI v2), once the host has been probed; undefined when plans can run. */
  readUnavailableReason(): Promise<string | undefined>;
  /** For /ready: throws once the probe found no CLI; passes while it is still running. */
  checkCli(): void;
}

export interface DeferredExecutorOptions {
  catalog: AwsModelCatalog;
  /** The host probe (`aws --version` costs a Python start-up); must not reject. */
  setup: Promise<ExecutionSetup>;
  /** Builds the executor once the setup is known (see `selectExecutor`). */
  select(setup: ExecutionSetup): ManagedExecutor;
}

/**
 * An executor whose host probe runs while the service is already listening, so start-up does not wait
 * for a Python process: planning never needs the CLI, and a call that runs something waits for the probe
 * (a second or two, once) and then goes to the executor the configuration selects.
 */
export function createDeferredExecutor(options: DeferredExecutorOptions): DeferredExecutor {
  let settled: { setup: ExecutionSetup; executor: ManagedExecutor } | undefined;
  const ready = options.setup.then((setup) => {
    settled = { setup, executor: options.select(setup) };
    return settled;
  });

  return {
    get kind() {
      return settled?.executor.kind ?? 'auto';
    },
    async run(plan, credentials, runOptions) {
      return (await ready).executor.run(plan, credentials, runOptions);
    },
    async dryRun(plan, credentials, runOptions) {
      return (await ready).executor.dryRun(plan, credentials, runOptions);
    },
    // Decided from the model alone (an operation with a boolean DryRun member), as every executor does.
    supportsDryRun(plan: Plan) {
      const operation = options.catalog.getOperation(plan.service, plan.operation);
      return operation.parameters.get('DryRun')?.shape.type === 'boolean';
    },
    async start() {
      await (await ready).executor.start();
    },
    async close() {
      await (await ready).executor.close();
    },
    checkReady() {
      settled?.executor.checkReady();
    },
    checkCli() {
      if (settled && 'unavailable' in settled.setup.cli)
        throw new UnavailableError(settled.setup.cli.unavailable);
    },
    async readUnavailableReason() {
      const { setup } = await ready;
      return 'unavailable' in setup.cli ? setup.cli.unavailable : undefined;
    },
  };
}
