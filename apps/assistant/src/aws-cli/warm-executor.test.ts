import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { AppError, NotAuthenticatedError, UnavailableError } from '@ashapp/platform';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { createCapturingLogger, waitFor } from '@ashapp/platform/testing';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { Plan } from '../plan/plan.ts';
import { findAwsCli } from './find-aws-cli.ts';
import { selectExecutor } from './select-executor.ts';
import { createWarmExecutor, findCliPython, type WarmExecutor } from './warm-executor.ts';

const catalog = createAwsModelCatalog();
const alice = {
  accessKeyId: 'AKIASTANDINALICE0001',
  secretAccessKey: 'alice-secret-key-000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
};
const bob = {
  accessKeyId: 'AKIASTANDINBOB000002',
  secretAccessKey: 'bob-secret-key-0000000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/bob',
  account: '111122223333',
};
const keys = (u: typeof alice) => ({ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey });
const plan = (p: Omit<Plan, 'region'>): Plan => validatePlan(catalog, { region: 'us-east-1', ...p }).plan;
const whoAmI = plan({ service: 'sts', operation: 'get-caller-identity', parameters: {} });
const instances = plan({ service: 'ec2', operation: 'describe-instances', parameters: {} });

function readEnviron(pid: number): Promise<string[]> {
  return readFile(`/proc/${pid}/environ`, 'utf8').then((text) => text.split('\0').filter(Boolean));
}

describe('warm executor guarantees (stand-in)', () => {
  let standIn: AwsStandIn;
  let python: string;
  let cliPath: string;

  before(async () => {
    standIn = await startAwsStandIn({ users: [alice, bob] });
    const cli = await findAwsCli();
    cliPath = cli.path;
    python = (await findCliPython(cli.path)) ?? assert.fail('the CLI should be a Python script');
  });

  after(async () => {
    await standIn.close();
  });

  function warmExecutor(overrides: Partial<Parameters<typeof createWarmExecutor>[0]> = {}): WarmExecutor {
    return createWarmExecutor({
      catalog,
      pythonPath: python,
      endpointUrl: standIn.url,
      poolSize: 1,
      timeoutMs: 20_000,
      maxOutputBytes: 1024 * 1024,
      ...overrides,
    });
  }

  test("finds the CLI's Python from its #! line", async () => {
    assert.match(python, /^\/usr\/bin\/python3(\.\d+)?$/);
    assert.equal(await findCliPython('/bin/sh'), undefined);
    assert.equal(await findCliPython('/nonexistent/aws'), undefined);
  });

  test('each call is signed with its own credentials only, and the worker holds none', async () => {
    const warm = warmExecutor();
    try {
      await warm.start();
      const [pid] = warm.workerPids();
      assert.ok(pid);
      const env = await readEnviron(pid);
      assert.deepEqual(
        env.filter((e) => /^AWS_(ACCESS|SECRET|SESSION|PROFILE)/.test(e)),
        [],
        'no credentials or profile in the worker environment',
      );
      assert.ok(env.includes('AWS_CONFIG_FILE=/dev/null'));
      assert.ok(env.includes('AWS_SHARED_CREDENTIALS_FILE=/dev/null'));
      assert.ok(env.includes('AWS_EC2_METADATA_DISABLED=true'));

      const first = standIn.calls.length;
      const a = await warm.run(whoAmI, keys(alice));
      const b = await warm.run(whoAmI, keys(bob));
      assert.equal((a.json as { Arn: string }).Arn, alice.arn);
      assert.equal((b.json as { Arn: string }).Arn, bob.arn);
      // A wrong secret after good calls is refused: nothing from the earlier calls is reused.
      await assert.rejects(
        warm.run(whoAmI, { accessKeyId: alice.accessKeyId, secretAccessKey: 'wrong-secret' }),
        NotAuthenticatedError,
      );
      assert.deepEqual(
        standIn.calls.slice(first).map((c) => [c.accessKeyId, c.errorCode ?? 'ok']),
        [
          [alice.accessKeyId, 'ok'],
          [bob.accessKeyId, 'ok'],
          [alice.accessKeyId, 'SignatureDoesNotMatch'],
        ],
      );
      // Still the same warm process: no start-up was paid for these calls.
      assert.deepEqual(warm.workerPids(), [pid]);
    } finally {
      await warm.close();
    }
  });

  test('a call over the timeout answers 504, its worker is replaced, and the next call runs', async () => {
    const slow = await startAwsStandIn({ users: [alice], delaysMs: { DescribeInstances: 8000 } });
    const warm = warmExecutor({ endpointUrl: slow.url, timeoutMs: 1500 });
    try {
      await warm.start();
      const [before] = warm.workerPids();
      await assert.rejects(
        warm.run(instances, keys(alice)),
        (err: unknown) => err instanceof AppError && err.status === 504,
      );
      await waitFor('a new worker', () => warm.workerPids().length === 1 && warm.workerPids()[0] !== before, {
        intervalMs: 50,
      });
      const after = await warm.run(whoAmI, keys(alice));
      assert.equal((after.json as { Arn: string }).Arn, alice.arn);
    } finally {
      await warm.close();
      await slow.close();
    }
  });

  test('output over the cap answers 413 and the worker keeps serving', async () => {
    const warm = warmExecutor({ maxOutputBytes: 1024 });
    try {
      await warm.start();
      await assert.rejects(
        warm.run(instances, keys(alice)),
        (err: unknown) => err instanceof AppError && err.status === 413,
      );
      const small = await warm.run(whoAmI, keys(alice));
      assert.equal((small.json as { Account: string }).Account, alice.account);
    } finally {
      await warm.close();
    }
  });

  test('a worker that dies is replaced and calls keep working', async () => {
    const warm = warmExecutor();
    try {
      await warm.start();
      const [pid] = warm.workerPids();
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await waitFor('a replacement', () => warm.workerPids().length === 1 && warm.workerPids()[0] !== pid, {
        intervalMs: 50,
      });
      const result = await warm.run(whoAmI, keys(bob));
      assert.equal((result.json as { Arn: string }).Arn, bob.arn);
    } finally {
      await warm.close();
    }
  });

  test('a pool of two serves concurrent calls at once, each with its own credentials', async () => {
    const warm = warmExecutor({ poolSize: 2 });
    try {
      await warm.start();
      await waitFor('two workers', () => warm.workerPids().length === 2, { intervalMs: 50 });
      const results = await Promise.all(
        [alice, bob, alice, bob, alice, bob].map((u) => warm.run(whoAmI, keys(u))),
      );
      assert.deepEqual(
        results.map((r) => (r.json as { Arn: string }).Arn),
        [alice.arn, bob.arn, alice.arn, bob.arn, alice.arn, bob.arn],
      );
    } finally {
      await warm.close();
    }
  });

  test('auto falls back to the CLI when the warm workers cannot start; warm alone answers 503', async () => {
    const { log, lines } = createCapturingLogger('assistant');
    const common = {
      catalog,
      cli: { path: cliPath, version: '2' },
      pythonPath: '/nonexistent/python3',
      endpointUrl: standIn.url,
      timeoutMs: 20_000,
      maxOutputBytes: 1024 * 1024,
      workers: 1,
      log,
    };
    const auto = selectExecutor({ ...common, mode: 'auto' });
    const warmOnly = selectExecutor({ ...common, mode: 'warm' });
    try {
      await auto.start();
      await warmOnly.start();
      const result = await auto.run(whoAmI, keys(alice));
      assert.equal((result.json as { Arn: string }).Arn, alice.arn);
      assert.ok(lines.some((l) => l.includes('this call uses the AWS CLI')));
      auto.checkReady();
      await assert.rejects(warmOnly.run(whoAmI, keys(alice)), UnavailableError);
      assert.throws(() => warmOnly.checkReady(), UnavailableError);
    } finally {
      await auto.close();
      await warmOnly.close();
    }
  });

  test('ASSISTANT_EXECUTOR=cli never starts a worker', async () => {
    const { log } = createCapturingLogger('assistant');
    const cliOnly = selectExecutor({
      mode: 'cli',
      catalog,
      cli: { path: cliPath, version: '2' },
      pythonPath: python,
      endpointUrl: standIn.url,
      timeoutMs: 30_000,
      maxOutputBytes: 1024 * 1024,
      workers: 1,
      log,
    });
    await cliOnly.start();
    assert.equal(cliOnly.kind, 'cli');
    const result = await cliOnly.run(whoAmI, keys(alice));
    assert.match(result.argv.join(' '), /^sts get-caller-identity /);
    await cliOnly.close();
  });
});
