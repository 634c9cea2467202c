// The warm executor prints what `aws … --output json` prints: every operation the AWS stand-in serves runs
// through the real /usr/bin/aws against one stand-in and through the warm workers against a twin stand-in
// (same users, resources, clock and ids), in the same order, and the two outputs must be the same text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '@ashapp/platform';
import { startAwsStandIn, type AwsStandIn, type AwsStandInOptions } from '@ashapp/aws-stand-in';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import type { Plan } from '../plan/plan.ts';
import { createAwsCliExecutor, type AwsCliExecutor } from './cli-executor.ts';
import { findAwsCli } from './find-aws-cli.ts';
import { createWarmExecutor, findCliPython, type WarmExecutor } from './warm-executor.ts';

const catalog = createAwsModelCatalog();
const alice = {
  accessKeyId: 'AKIASTANDINALICE0001',
  secretAccessKey: 'alice-secret-key-000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
};
const credentials = { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey };

function twinOptions(): AwsStandInOptions {
  let id = 0;
  return {
    users: [alice],
    buckets: ['alpha-bucket', 'beta-bucket'],
    instances: Array.from({ length: 7 }, (_, i) => ({
      instanceId: `i-0a1b2c3d4e5f6000${i}`,
      state: i % 3 === 2 ? ('stopped' as const) : ('running' as const),
      name: `node-${i}`,
      tags: { env: i < 4 ? 'dev' : 'prod' },
      ...(i === 0 ? { publicIpAddress: '203.0.113.10' } : {}),
    })),
    // 120 groups: more than two of CloudWatch Logs' 50-group pages, so the CLI paginates.
    logGroups: Array.from({ length: 120 }, (_, i) => ({
      name: `/aws/lambda/fn-${String(i).padStart(3, '0')}`,
      storedBytes: i % 4 === 0 ? 0 : 1000 + i,
      createdAt: 1_767_225_600_000 + i,
    })),
    clock: () => 1_767_225_600_000,
    newId: () => `00000000-0000-4000-8000-${String((id += 1)).padStart(12, '0')}`,
  };
}

const plan = (p: Omit<Plan, 'region'>): Plan => validatePlan(catalog, { region: 'us-east-1', ...p }).plan;

interface Outcome {
  raw?: string;
  json?: unknown;
  error?: { status: number; code: string; message: string };
}

async function outcomeOf(work: () => Promise<{ raw: string; json: unknown }>): Promise<Outcome> {
  try {
    const result = await work();
    return { raw: result.raw, json: result.json };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { error: { status: err.status, code: err.code, message: err.message } };
  }
}

// In the order they run: each write changes both twins the same way, so later reads compare the results.
const CASES: { name: string; plan: Plan; dryRun?: boolean }[] = [
  {
    name: 'sts get-caller-identity',
    plan: plan({ service: 'sts', operation: 'get-caller-identity', parameters: {} }),
  },
  {
    name: 'ec2 describe-instances',
    plan: plan({ service: 'ec2', operation: 'describe-instances', parameters: {} }),
  },
  {
    name: 'ec2 describe-instances with filters',
    plan: plan({
      service: 'ec2',
      operation: 'describe-instances',
      parameters: {
        Filters: [
          { Name: 'tag:env', Values: ['dev'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
    }),
  },
  {
    name: 'ec2 describe-instances by id with --query',
    plan: plan({
      service: 'ec2',
      operation: 'describe-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60000'] },
      query: 'Reservations[].Instances[].[InstanceId, PublicIpAddress, LaunchTime]',
    }),
  },
  {
    name: 'ec2 describe-instances with MaxResults (one page and its NextToken, no auto-pagination)',
    plan: plan({ service: 'ec2', operation: 'describe-instances', parameters: { MaxResults: 5 } }),
  },
  {
    name: 'ec2 describe-instances with an unknown id (AWS error)',
    plan: plan({
      service: 'ec2',
      operation: 'describe-instances',
      parameters: { InstanceIds: ['i-0ffffffffffffffff'] },
    }),
  },
  {
    name: 'ec2 stop-instances dry run',
    plan: plan({
      service: 'ec2',
      operation: 'stop-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60000'] },
    }),
    dryRun: true,
  },
  {
    name: 'ec2 stop-instances',
    plan: plan({
      service: 'ec2',
      operation: 'stop-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60000', 'i-0a1b2c3d4e5f60001'] },
    }),
  },
  {
    name: 'ec2 start-instances',
    plan: plan({
      service: 'ec2',
      operation: 'start-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60002'] },
    }),
  },
  {
    name: 'ec2 reboot-instances (no output)',
    plan: plan({
      service: 'ec2',
      operation: 'reboot-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60003'] },
    }),
  },
  {
    name: 'ec2 terminate-instances',
    plan: plan({
      service: 'ec2',
      operation: 'terminate-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60006'] },
    }),
  },
  {
    name: 'ec2 start-instances on a terminated instance (AWS error)',
    plan: plan({
      service: 'ec2',
      operation: 'start-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60006'] },
    }),
  },
  { name: 's3api list-buckets', plan: plan({ service: 's3api', operation: 'list-buckets', parameters: {} }) },
  {
    name: 's3api create-bucket',
    plan: plan({ service: 's3api', operation: 'create-bucket', parameters: { Bucket: 'gamma-bucket' } }),
  },
  {
    name: 's3api create-bucket that exists (AWS error)',
    plan: plan({ service: 's3api', operation: 'create-bucket', parameters: { Bucket: 'alpha-bucket' } }),
  },
  {
    name: 's3api head-bucket (no output)',
    plan: plan({ service: 's3api', operation: 'head-bucket', parameters: { Bucket: 'gamma-bucket' } }),
  },
  {
    name: 's3api list-objects-v2',
    plan: plan({
      service: 's3api',
      operation: 'list-objects-v2',
      parameters: { Bucket: 'gamma-bucket', Prefix: 'logs/' },
    }),
  },
  {
    name: 's3api delete-bucket',
    plan: plan({ service: 's3api', operation: 'delete-bucket', parameters: { Bucket: 'gamma-bucket' } }),
  },
  {
    name: 's3api list-objects-v2 of a missing bucket (AWS error)',
    plan: plan({ service: 's3api', operation: 'list-objects-v2', parameters: { Bucket: 'gamma-bucket' } }),
  },
  {
    name: 'codebuild create-project',
    plan: plan({
      service: 'codebuild',
      operation: 'create-project',
      parameters: {
        name: 'parity',
        source: { type: 'GITHUB', location: 'https://github.com/example/app.git', buildspec: 'version: 0.2' },
        artifacts: { type: 'NO_ARTIFACTS' },
        environment: {
          type: 'LINUX_CONTAINER',
          image: 'aws/codebuild/standard:7.0',
          computeType: 'BUILD_GENERAL1_SMALL',
        },
        serviceRole: 'arn:aws:iam::111122223333:role/codebuild',
      },
    }),
  },
  {
    name: 'codebuild list-projects',
    plan: plan({ service: 'codebuild', operation: 'list-projects', parameters: {} }),
  },
  {
    name: 'codebuild batch-get-projects',
    plan: plan({
      service: 'codebuild',
      operation: 'batch-get-projects',
      parameters: { names: ['parity', 'missing'] },
    }),
  },
  {
    name: 'codebuild start-build',
    plan: plan({ service: 'codebuild', operation: 'start-build', parameters: { projectName: 'parity' } }),
  },
  {
    name: 'codebuild list-builds',
    plan: plan({ service: 'codebuild', operation: 'list-builds', parameters: {} }),
  },
  {
    name: 'codebuild list-builds-for-project',
    plan: plan({
      service: 'codebuild',
      operation: 'list-builds-for-project',
      parameters: { projectName: 'parity' },
    }),
  },
  {
    name: 'codebuild batch-get-builds',
    plan: plan({
      service: 'codebuild',
      operation: 'batch-get-builds',
      parameters: { ids: ['parity:00000000-0000-4000-8000-000000000001'] },
    }),
  },
  {
    name: 'logs get-log-events of the build',
    plan: plan({
      service: 'logs',
      operation: 'get-log-events',
      parameters: {
        logGroupName: '/aws/codebuild/parity',
        logStreamName: '00000000-0000-4000-8000-000000000001',
      },
    }),
  },
  {
    name: 'logs describe-log-groups (auto-paginated over three pages)',
    plan: plan({ service: 'logs', operation: 'describe-log-groups', parameters: {} }),
  },
  {
    name: 'logs describe-log-groups with a prefix',
    plan: plan({
      service: 'logs',
      operation: 'describe-log-groups',
      parameters: { logGroupNamePrefix: '/aws/lambda/fn-11' },
    }),
  },
  {
    name: 'logs describe-log-groups with limit (one page and its nextToken)',
    plan: plan({ service: 'logs', operation: 'describe-log-groups', parameters: { limit: 5 } }),
  },
  {
    name: 'logs create-log-group (no output)',
    plan: plan({
      service: 'logs',
      operation: 'create-log-group',
      parameters: { logGroupName: '/parity/new' },
    }),
  },
  {
    name: 'logs delete-log-group (no output)',
    plan: plan({
      service: 'logs',
      operation: 'delete-log-group',
      parameters: { logGroupName: '/aws/lambda/fn-000' },
    }),
  },
  {
    name: 'logs delete-log-group of a missing group (AWS error)',
    plan: plan({
      service: 'logs',
      operation: 'delete-log-group',
      parameters: { logGroupName: '/aws/lambda/fn-000' },
    }),
  },
];

describe('warm executor output equals the AWS CLI output, operation by operation (stand-in)', () => {
  let cliStandIn: AwsStandIn;
  let warmStandIn: AwsStandIn;
  let cliExecutor: AwsCliExecutor;
  let warm: WarmExecutor;

  before(async () => {
    cliStandIn = await startAwsStandIn(twinOptions());
    warmStandIn = await startAwsStandIn(twinOptions());
    const cli = await findAwsCli();
    const python = await findCliPython(cli.path);
    assert.ok(python, `${cli.path} should be a Python script (Debian's awscli)`);
    cliExecutor = createAwsCliExecutor({
      catalog,
      cliPath: cli.path,
      endpointUrl: cliStandIn.url,
      timeoutMs: 30_000,
    });
    warm = createWarmExecutor({
      catalog,
      pythonPath: python,
      endpointUrl: warmStandIn.url,
      poolSize: 2,
      timeoutMs: 30_000,
      maxOutputBytes: 1024 * 1024,
    });
    await warm.start();
  });

  after(async () => {
    await warm.close();
    await cliStandIn.close();
    await warmStandIn.close();
  });

  for (const testCase of CASES) {
    test(`same output: ${testCase.name}`, async () => {
      if (testCase.dryRun) {
        const viaCli = await cliExecutor.dryRun(testCase.plan, credentials);
        const viaWarm = await warm.dryRun(testCase.plan, credentials);
        assert.ok(viaCli);
        assert.deepEqual(viaWarm, viaCli);
        return;
      }
      const viaCli = await outcomeOf(() => cliExecutor.run(testCase.plan, credentials));
      const viaWarm = await outcomeOf(() => warm.run(testCase.plan, credentials));
      assert.deepEqual(viaWarm, viaCli);
      // The case does what its name says: AWS errors where named, a result everywhere else.
      assert.equal(
        viaCli.error !== undefined,
        testCase.name.includes('(AWS error)'),
        JSON.stringify(viaCli.error),
      );
      if (viaCli.error) assert.equal(viaCli.error.status, 502);
      // Both stand-ins saw the same calls (pagination included).
      const actions = (s: AwsStandIn) => s.calls.map((c) => `${c.action} ${JSON.stringify(c.params)}`);
      assert.deepEqual(
        actions(warmStandIn).map((a) => a.replace(/"Version":"[^"]*",?/, '')),
        actions(cliStandIn).map((a) => a.replace(/"Version":"[^"]*",?/, '')),
      );
    });
  }

  test('the auto-paginated log groups are all 120, and the limited call keeps its token', async () => {
    const all = await warm.run(
      plan({
        service: 'logs',
        operation: 'describe-log-groups',
        parameters: { logGroupNamePrefix: '/aws/lambda/' },
      }),
      credentials,
    );
    const groups = (all.json as { logGroups: unknown[]; nextToken?: string }).logGroups;
    assert.equal(groups.length, 119); // one was deleted above
    assert.equal((all.json as { nextToken?: string }).nextToken, undefined);
    const one = await warm.run(
      plan({ service: 'logs', operation: 'describe-log-groups', parameters: { limit: 5 } }),
      credentials,
    );
    assert.equal((one.json as { logGroups: unknown[] }).logGroups.length, 5);
    assert.equal((one.json as { nextToken?: string }).nextToken, 'page-5');
  });
});
