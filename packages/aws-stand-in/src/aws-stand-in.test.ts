import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  CreateProjectCommand,
  ListBuildsForProjectCommand,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { AwsStandIn } from './index.ts';
import { startAwsStandIn } from './index.ts';

const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const alice = {
  accessKeyId: 'AKIASTANDINALICE0001',
  secretAccessKey: 'alice-secret-key-0000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  userId: 'AIDASTANDINALICE',
};
const bob = {
  accessKeyId: 'AKIASTANDINBOB000002',
  secretAccessKey: 'bob-secret-key-00000000000000000000000000',
  arn: 'arn:aws:iam::444455556666:user/bob',
  account: '444455556666',
  deniedActions: ['StopInstances'],
};

describe('AWS stand-in', () => {
  let standIn: AwsStandIn;
  let home: string;

  before(async () => {
    standIn = await startAwsStandIn({ users: [alice, bob], buckets: ['existing-bucket'] });
    home = await mkdtemp(join(tmpdir(), 'stand-in-cli-'));
  });
  after(async () => {
    await standIn.close();
    await rm(home, { recursive: true, force: true });
  });

  async function cli(user: { accessKeyId: string; secretAccessKey: string }, args: string[]) {
    try {
      const { stdout, stderr } = await run(
        AWS,
        [...args, '--endpoint-url', standIn.url, '--output', 'json'],
        {
          env: {
            PATH: '/usr/bin:/bin',
            HOME: home,
            AWS_ACCESS_KEY_ID: user.accessKeyId,
            AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_CONFIG_FILE: '/dev/null',
            AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
            AWS_PAGER: '',
            AWS_MAX_ATTEMPTS: '1',
            AWS_EC2_METADATA_DISABLED: 'true',
          },
          timeout: 30_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  test('stand-in answers sts get-caller-identity from the real AWS CLI v2 with the configured identity', async () => {
    const result = await cli(alice, ['sts', 'get-caller-identity']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      UserId: 'AIDASTANDINALICE',
      Account: '111122223333',
      Arn: alice.arn,
    });
  });

  test('stand-in rejects a wrong secret with STS SignatureDoesNotMatch through the CLI', async () => {
    const result = await cli({ ...alice, secretAccessKey: 'wrong' }, ['sts', 'get-caller-identity']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /SignatureDoesNotMatch/);
  });

  test('stand-in rejects an unknown key with InvalidClientTokenId', async () => {
    const result = await cli({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }, [
      'sts',
      'get-caller-identity',
    ]);
    assert.match(result.stderr, /InvalidClientTokenId/);
  });

  test('stand-in lists, filters and describes EC2 instances for the CLI', async () => {
    const all = await cli(alice, [
      'ec2',
      'describe-instances',
      '--query',
      'Reservations[].Instances[].InstanceId',
    ]);
    assert.deepEqual(JSON.parse(all.stdout), [
      'i-0a1b2c3d4e5f60001',
      'i-0a1b2c3d4e5f60002',
      'i-0a1b2c3d4e5f60003',
    ]);
    const running = await cli(alice, [
      'ec2',
      'describe-instances',
      '--filters',
      'Name=instance-state-name,Values=running',
      '--query',
      "Reservations[].Instances[].{Id:InstanceId,Name:Tags[?Key=='Name']|[0].Value}",
    ]);
    assert.deepEqual(JSON.parse(running.stdout), [
      { Id: 'i-0a1b2c3d4e5f60001', Name: 'web-1' },
      { Id: 'i-0a1b2c3d4e5f60002', Name: 'web-2' },
    ]);
  });

  test('stand-in answers an EC2 dry run with DryRunOperation and changes nothing', async () => {
    const result = await cli(alice, [
      'ec2',
      'stop-instances',
      '--instance-ids',
      'i-0a1b2c3d4e5f60001',
      '--dry-run',
    ]);
    assert.match(result.stderr, /DryRunOperation/);
    assert.equal(standIn.instances[0]?.state, 'running');
    const denied = await cli(bob, [
      'ec2',
      'stop-instances',
      '--instance-ids',
      'i-0a1b2c3d4e5f60001',
      '--dry-run',
    ]);
    assert.match(denied.stderr, /UnauthorizedOperation/);
  });

  test('stand-in stops and starts an instance', async () => {
    const stop = await cli(alice, ['ec2', 'stop-instances', '--instance-ids', 'i-0a1b2c3d4e5f60002']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(JSON.parse(stop.stdout).StoppingInstances[0].CurrentState.Name, 'stopped');
    const start = await cli(alice, ['ec2', 'start-instances', '--instance-ids', 'i-0a1b2c3d4e5f60002']);
    assert.equal(JSON.parse(start.stdout).StartingInstances[0].CurrentState.Name, 'running');
    assert.ok(standIn.calls.some((c) => c.action === 'StopInstances' && !c.dryRun && c.status === 200));
  });

  test('stand-in reports EC2 AuthFailure for a wrong secret and InvalidInstanceID.NotFound for a missing id', async () => {
    const bad = await cli({ ...alice, secretAccessKey: 'nope' }, ['ec2', 'describe-instances']);
    assert.match(bad.stderr, /AuthFailure/);
    const missing = await cli(alice, ['ec2', 'describe-instances', '--instance-ids', 'i-0ffffffffffffffff']);
    assert.match(missing.stderr, /InvalidInstanceID\.NotFound.*i-0ffffffffffffffff/);
  });

  test('stand-in creates, lists and deletes S3 buckets over path-style REST', async () => {
    assert.equal((await cli(alice, ['s3api', 'create-bucket', '--bucket', 'new-bucket-1'])).code, 0);
    const list = await cli(alice, ['s3api', 'list-buckets', '--query', 'Buckets[].Name']);
    assert.deepEqual(JSON.parse(list.stdout), ['existing-bucket', 'new-bucket-1']);
    assert.equal((await cli(alice, ['s3api', 'delete-bucket', '--bucket', 'new-bucket-1'])).code, 0);
    assert.deepEqual(standIn.buckets(), ['existing-bucket']);
    const missing = await cli(alice, ['s3api', 'delete-bucket', '--bucket', 'no-such-bucket']);
    assert.match(missing.stderr, /NoSuchBucket/);
    const bad = await cli({ ...alice, secretAccessKey: 'nope' }, ['s3api', 'list-buckets']);
    assert.match(bad.stderr, /SignatureDoesNotMatch/);
  });

  test('stand-in serves the SDK STS client and rejects a wrong secret', async () => {
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: alice,
      maxAttempts: 1,
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Arn, alice.arn);
    const wrong = new STSClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: { ...alice, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await assert.rejects(
      wrong.send(new GetCallerIdentityCommand({})),
      (err: Error) => err.name === 'SignatureDoesNotMatch',
    );
    sts.destroy();
    wrong.destroy();
  });

  test('stand-in runs a CodeBuild project, its builds and logs for the SDK clients', async () => {
    const codebuild = new CodeBuildClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: alice,
      maxAttempts: 1,
    });
    const logs = new CloudWatchLogsClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: alice,
      maxAttempts: 1,
    });
    await codebuild.send(
      new CreateProjectCommand({
        name: 'demo',
        source: { type: 'GITHUB', location: 'https://github.com/example/demo', buildspec: 'version: 0.2' },
        artifacts: { type: 'NO_ARTIFACTS' },
        environment: {
          type: 'LINUX_CONTAINER',
          image: 'aws/codebuild/standard:7.0',
          computeType: 'BUILD_GENERAL1_SMALL',
        },
        serviceRole: 'arn:aws:iam::111122223333:role/codebuild',
      }),
    );
    const started = await codebuild.send(new StartBuildCommand({ projectName: 'demo' }));
    const id = started.build?.id as string;
    const builds = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }));
    assert.equal(builds.builds?.[0]?.buildStatus, 'SUCCEEDED');
    assert.ok((builds.builds?.[0]?.phases?.length ?? 0) > 5);
    const list = await codebuild.send(new ListBuildsForProjectCommand({ projectName: 'demo' }));
    assert.deepEqual(list.ids, [id]);
    const events = await logs.send(
      new GetLogEventsCommand({
        logGroupName: builds.builds?.[0]?.logs?.groupName,
        logStreamName: builds.builds?.[0]?.logs?.streamName,
      }),
    );
    assert.ok((events.events?.length ?? 0) > 0);
    await assert.rejects(
      codebuild.send(new StartBuildCommand({ projectName: 'missing' })),
      (err: Error) => err.name === 'ResourceNotFoundException',
    );
    const wrong = new CodeBuildClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: { ...alice, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await assert.rejects(
      wrong.send(new StartBuildCommand({ projectName: 'demo' })),
      (err: Error) => err.name === 'InvalidSignatureException',
    );
    codebuild.destroy();
    logs.destroy();
    wrong.destroy();
  });

  test('stand-in answers Bedrock Converse with a scripted tool call or prose', async () => {
    const bedrock = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: alice,
      maxAttempts: 1,
    });
    const ask = () =>
      bedrock.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        }),
      );
    standIn.setBedrockAnswer(() => ({ toolUse: { name: 'plan', input: { service: 'ec2' } } }));
    const tool = await ask();
    assert.deepEqual(tool.output?.message?.content?.[0]?.toolUse?.input, { service: 'ec2' });
    standIn.setBedrockAnswer(() => ({ text: 'just words' }));
    assert.equal((await ask()).output?.message?.content?.[0]?.text, 'just words');
    const last = standIn.calls.at(-1);
    assert.equal(last?.params['modelId'], 'anthropic.claude-3-haiku-20240307-v1:0');
    const wrong = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: { ...alice, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await assert.rejects(
      wrong.send(
        new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      ),
      (err: Error) => err.name === 'InvalidSignatureException',
    );
    bedrock.destroy();
    wrong.destroy();
  });
});
