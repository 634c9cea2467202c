import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, NotAuthenticatedError, UnavailableError, UpstreamError } from '@ashapp/platform';
import type { AwsStandIn } from '@ashapp/aws-stand-in';
import { startAwsStandIn } from '@ashapp/aws-stand-in';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import { createBuiltInPlanner } from '../planning/builtin-planner.ts';
import { createLiteralPlanner } from '../planning/literal-planner.ts';
import { createPlannerChain } from '../planning/planner-chain.ts';
import type { Plan } from '../plan/plan.ts';
import { createAwsCliExecutor } from './cli-executor.ts';
import { findAwsCli } from './find-aws-cli.ts';
import { renderTable, renderText } from './render-output.ts';

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
  deniedActions: ['StopInstances'],
};
const carol = {
  accessKeyId: 'AKIASTANDINCAROL0003',
  secretAccessKey: 'carol-secret-key-00000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/carol',
  account: '111122223333',
  expired: true,
};
const plan = (p: Omit<Plan, 'region'> & { region?: string }): Plan =>
  validatePlan(catalog, { region: 'us-east-1', ...p }).plan;

describe('finding the AWS CLI v2', () => {
  test('finds /usr/bin/aws and reports a 2.x version', async () => {
    const cli = await findAwsCli();
    assert.equal(cli.path, '/usr/bin/aws');
    assert.match(cli.version, /^2\./);
  });

  test('refuses a configured CLI that is not v2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-aws-'));
    try {
      const fake = join(dir, 'aws');
      await writeFile(
        fake,
        `#!${process.execPath}\nprocess.stderr.write('aws-cli/1.18.69 Python/3.8\\n');\n`,
      );
      await chmod(fake, 0o755);
      await assert.rejects(
        findAwsCli({ configuredPath: fake }),
        (err: unknown) => err instanceof UnavailableError && /aws-cli\/1\.18\.69/.test(err.message),
      );
      await assert.rejects(findAwsCli({ configuredPath: join(dir, 'missing') }), UnavailableError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('AWS CLI executor against the AWS stand-in (real /usr/bin/aws)', () => {
  let standIn: AwsStandIn;
  let workDir: string;
  let executor: ReturnType<typeof createAwsCliExecutor>;

  before(async () => {
    standIn = await startAwsStandIn({ users: [alice, bob, carol], buckets: ['existing-bucket'] });
    workDir = await mkdtemp(join(tmpdir(), 'executor-test-'));
    executor = createAwsCliExecutor({
      catalog,
      cliPath: '/usr/bin/aws',
      endpointUrl: standIn.url,
      maxAttempts: 1,
      timeoutMs: 30_000,
      tempRoot: workDir,
    });
  });
  after(async () => {
    await standIn.close();
    await rm(workDir, { recursive: true, force: true });
  });

  test('runs a read-only describe-instances and returns JSON, text and a table', async () => {
    const chain = createPlannerChain({
      catalog,
      literal: createLiteralPlanner({ catalog }),
      builtIn: createBuiltInPlanner(),
    });
    const planned = await chain.planRequest({ request: 'list ec2 instance ids', defaultRegion: 'us-east-1' });
    const result = await executor.run(planned.plan, alice);
    assert.deepEqual(result.json, ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003']);
    assert.equal(result.text, 'i-0a1b2c3d4e5f60001\ti-0a1b2c3d4e5f60002\ti-0a1b2c3d4e5f60003');
    assert.deepEqual(renderTable(result.json).columns, ['Value']);
    assert.ok(result.argv.includes(`--endpoint-url=${standIn.url}`));
    assert.ok(!result.argv.join(' ').includes(alice.secretAccessKey));
    // The private HOME is removed after the run.
    assert.deepEqual(await readdir(workDir), []);
  });

  test('gives a dry-run verdict for stop-instances without stopping anything', async () => {
    const stop = plan({
      service: 'ec2',
      operation: 'stop-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60001'] },
    });
    assert.equal(executor.supportsDryRun(stop), true);
    assert.deepEqual(await executor.dryRun(stop, alice), {
      wouldSucceed: true,
      code: 'DryRunOperation',
      message: 'Request would have succeeded, but DryRun flag is set.',
    });
    const denied = await executor.dryRun(stop, bob);
    assert.equal(denied?.wouldSucceed, false);
    assert.equal(denied?.code, 'UnauthorizedOperation');
    assert.equal(standIn.instances[0]?.state, 'running');
    assert.equal(standIn.calls.filter((c) => c.action === 'StopInstances' && !c.dryRun).length, 0);
    assert.equal(
      executor.supportsDryRun(plan({ service: 's3api', operation: 'list-buckets', parameters: {} })),
      false,
    );
  });

  test('runs an accepted stop-instances for real', async () => {
    const stop = plan({
      service: 'ec2',
      operation: 'stop-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60002'] },
    });
    const result = await executor.run(stop, alice);
    assert.equal(
      (result.json as { StoppingInstances: { CurrentState: { Name: string } }[] }).StoppingInstances[0]
        ?.CurrentState.Name,
      'stopped',
    );
    assert.equal(standIn.instances[1]?.state, 'stopped');
  });

  test('shows an AWS error as AWS said it', async () => {
    const describe = plan({
      service: 'ec2',
      operation: 'describe-instances',
      parameters: { InstanceIds: ['i-0ffffffffffffffff'] },
    });
    await assert.rejects(
      executor.run(describe, alice),
      (err: unknown) =>
        err instanceof UpstreamError &&
        err.message ===
          "An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID 'i-0ffffffffffffffff' does not exist" &&
        err.details?.['awsCode'] === 'InvalidInstanceID.NotFound',
    );
  });

  test('asks to sign in again when the secret is wrong or the session expired', async () => {
    const list = plan({ service: 's3api', operation: 'list-buckets', parameters: {} });
    await assert.rejects(
      executor.run(list, { ...alice, secretAccessKey: 'wrong' }),
      (err: unknown) => err instanceof NotAuthenticatedError && /sign in again/.test(err.message),
    );
    await assert.rejects(
      executor.run(plan({ service: 'sts', operation: 'get-caller-identity', parameters: {} }), carol),
      (err: unknown) => err instanceof NotAuthenticatedError && /sign in again/.test(err.message),
    );
    await assert.rejects(
      executor.dryRun(
        plan({
          service: 'ec2',
          operation: 'stop-instances',
          parameters: { InstanceIds: ['i-0a1b2c3d4e5f60001'] },
        }),
        { ...alice, secretAccessKey: 'wrong' },
      ),
      NotAuthenticatedError,
    );
  });

  test('keeps shell metacharacters in parameter values inert', async () => {
    const marker = join(workDir, '..', `ashapp-pwned-${process.pid}`);
    const chain = createPlannerChain({
      catalog,
      literal: createLiteralPlanner({ catalog }),
      builtIn: createBuiltInPlanner(),
    });
    const attacks = [
      `aws s3api create-bucket --bucket '$(touch ${marker})'`,
      `aws s3api create-bucket --bucket "\`touch ${marker}\`"`,
      `aws s3api create-bucket --bucket 'x;touch ${marker}'`,
      `aws ec2 describe-instances --filters 'Name=tag:Name,Values=$(touch ${marker})' --query '[?\`touch ${marker}\`]'`,
    ];
    for (const request of attacks) {
      const planned = await chain.planRequest({ request, defaultRegion: 'us-east-1' });
      await executor.run(planned.plan, alice).catch((err: unknown) => err);
    }
    await assert.rejects(stat(marker), { code: 'ENOENT' });
    // The value reached AWS as the literal text typed (the CLI itself refuses such bucket names).
    const filters = standIn.calls
      .filter((c) => c.action === 'DescribeInstances')
      .map((c) => c.params['Filter.1.Value.1']);
    assert.ok(filters.includes(`$(touch ${marker})`), JSON.stringify(filters));
  });

  test('stops the CLI at the timeout', async () => {
    const slow = await startAwsStandIn({ users: [alice], delaysMs: { DescribeInstances: 60_000 } });
    try {
      const quick = createAwsCliExecutor({
        catalog,
        cliPath: '/usr/bin/aws',
        endpointUrl: slow.url,
        timeoutMs: 4000,
        maxAttempts: 1,
      });
      const started = Date.now();
      await assert.rejects(
        quick.run(plan({ service: 'ec2', operation: 'describe-instances', parameters: {} }), alice),
        (err: unknown) => err instanceof AppError && err.status === 504,
      );
      assert.ok(Date.now() - started < 15_000);
    } finally {
      await slow.close();
    }
  });

  test('stops the CLI when its output passes the cap', async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      instanceId: `i-${(0x1000000000000 + i).toString(16).padStart(17, '0')}`,
      state: 'running' as const,
      name: `node-${i}`,
    }));
    const big = await startAwsStandIn({ users: [alice], instances: many });
    try {
      const capped = createAwsCliExecutor({
        catalog,
        cliPath: '/usr/bin/aws',
        endpointUrl: big.url,
        maxOutputBytes: 20_000,
        maxAttempts: 1,
      });
      await assert.rejects(
        capped.run(plan({ service: 'ec2', operation: 'describe-instances', parameters: {} }), alice),
        (err: unknown) => err instanceof AppError && err.status === 413 && err.code === 'OUTPUT_TOO_LARGE',
      );
    } finally {
      await big.close();
    }
  });
});

describe('child environment isolation', () => {
  test('gives the CLI only its credentials, a private HOME, no config files and no pager', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'env-probe-'));
    try {
      const probe = join(dir, 'aws');
      await writeFile(
        probe,
        `#!${process.execPath}\nprocess.stdout.write(JSON.stringify({ env: process.env, argv: process.argv.slice(2), cwd: process.cwd() }));\n`,
      );
      await chmod(probe, 0o755);
      const executor = createAwsCliExecutor({
        catalog,
        cliPath: probe,
        endpointUrl: 'http://127.0.0.1:9',
        tempRoot: dir,
      });
      const result = await executor.run(
        plan({ service: 'sts', operation: 'get-caller-identity', parameters: {}, region: 'eu-west-1' }),
        { accessKeyId: 'AKIAX', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' },
      );
      const seen = result.json as { env: Record<string, string>; argv: string[]; cwd: string };
      assert.deepEqual(Object.keys(seen.env).sort(), [
        'AWS_ACCESS_KEY_ID',
        'AWS_CLI_AUTO_PROMPT',
        'AWS_CONFIG_FILE',
        'AWS_DEFAULT_OUTPUT',
        'AWS_DEFAULT_REGION',
        'AWS_EC2_METADATA_DISABLED',
        'AWS_MAX_ATTEMPTS',
        'AWS_PAGER',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_SHARED_CREDENTIALS_FILE',
        'HOME',
        'LANG',
        'PATH',
        'PYTHONDONTWRITEBYTECODE',
      ]);
      assert.equal(seen.env['AWS_CONFIG_FILE'], '/dev/null');
      assert.equal(seen.env['AWS_SHARED_CREDENTIALS_FILE'], '/dev/null');
      assert.equal(seen.env['AWS_PAGER'], '');
      assert.equal(seen.env['AWS_DEFAULT_REGION'], 'eu-west-1');
      assert.ok(seen.env['HOME']?.startsWith(dir));
      assert.equal(seen.cwd, seen.env['HOME']);
      assert.deepEqual(seen.argv, [
        'sts',
        'get-caller-identity',
        '--region=eu-west-1',
        '--output=json',
        '--no-cli-pager',
        '--endpoint-url=http://127.0.0.1:9',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('output rendering', () => {
  test('builds table columns from JSON objects, flattening one level', () => {
    const view = renderTable([
      { InstanceId: 'i-1', State: { Name: 'running' }, Tags: [{ Key: 'a' }] },
      { InstanceId: 'i-2', Extra: 1 },
    ]);
    assert.deepEqual(view.columns, ['InstanceId', 'State.Name', 'Tags', 'Extra']);
    assert.deepEqual(view.rows[1], { InstanceId: 'i-2', Extra: '1' });
  });

  test('finds the listed items inside a response object', () => {
    const view = renderTable({ Buckets: [{ Name: 'a' }, { Name: 'b' }], Owner: { ID: 'x' } });
    assert.deepEqual(view.rows, [{ Name: 'a' }, { Name: 'b' }]);
  });

  test('renders text like --output text', () => {
    assert.equal(renderText(['a', 'b']), 'a\tb');
    assert.equal(renderText('3'), '3');
    assert.equal(
      renderText([
        { a: 1, b: 'x' },
        { a: 2, b: 'y' },
      ]),
      '1\tx\n2\ty',
    );
  });
});
