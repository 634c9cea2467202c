import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnavailableError } from '@ashapp/platform';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { Plan } from '../plan/plan.ts';
import { createDeferredExecutor, type ExecutionSetup } from './deferred-executor.ts';
import type { CliRunResult } from './run-result.ts';
import type { ManagedExecutor } from './warm-executor.ts';

const catalog = createAwsModelCatalog();
const plan: Plan = { service: 'ec2', operation: 'describe-instances', parameters: {}, region: 'us-east-1' };
const keys = { accessKeyId: 'AKIAEXAMPLE000000000', secretAccessKey: 'secret' };

/** An executor of our own port that answers every run with the same result and counts its calls. */
function createCountingExecutor(): ManagedExecutor & { runs: number } {
  const result: CliRunResult = { json: {}, text: '', raw: '{}', durationMs: 1, argv: [] };
  return {
    kind: 'cli',
    runs: 0,
    async run() {
      this.runs += 1;
      return result;
    },
    dryRun: async () => undefined,
    supportsDryRun: () => false,
    start: async () => undefined,
    close: async () => undefined,
    checkReady: () => undefined,
  };
}

describe('deferred executor (host probe while the service listens)', () => {
  test('a run waits for the probe, then goes to the executor selected from its result', async () => {
    let finish: (setup: ExecutionSetup) => void = () => undefined;
    const probe = new Promise<ExecutionSetup>((resolve) => (finish = resolve));
    const selected = createCountingExecutor();
    const seen: ExecutionSetup[] = [];
    const executor = createDeferredExecutor({
      catalog,
      setup: probe,
      select: (setup) => {
        seen.push(setup);
        return selected;
      },
    });
    const running = executor.run(plan, keys);
    // Still probing: nothing selected, nothing run, and readiness does not wait for it.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(selected.runs, 0);
    assert.doesNotThrow(() => executor.checkCli());
    finish({ cli: { path: '/usr/bin/aws', version: '2.9.19' }, cliPython: '/usr/bin/python3' });
    assert.deepEqual((await running).json, {});
    assert.equal(selected.runs, 1);
    assert.equal(seen.length, 1);
    assert.equal(executor.kind, 'cli');
    assert.equal(await executor.readUnavailableReason(), undefined);
  });

  test('once the probe finds no CLI, readiness fails with its reason and asks learn why nothing runs', async () => {
    const executor = createDeferredExecutor({
      catalog,
      setup: Promise.resolve({ cli: { unavailable: 'AWS CLI v2 not found' } }),
      select: () => createCountingExecutor(),
    });
    assert.equal(await executor.readUnavailableReason(), 'AWS CLI v2 not found');
    assert.throws(
      () => executor.checkCli(),
      (err: unknown) => err instanceof UnavailableError,
    );
  });

  test('knows from the model alone which operations have a dry run', () => {
    const executor = createDeferredExecutor({
      catalog,
      setup: new Promise<ExecutionSetup>(() => undefined),
      select: () => createCountingExecutor(),
    });
    assert.equal(executor.supportsDryRun({ ...plan, operation: 'stop-instances' }), true);
    assert.equal(executor.supportsDryRun({ ...plan, service: 's3api', operation: 'list-buckets' }), false);
  });
});
