import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, InputError, NotAuthenticatedError, NotFoundError } from '@ashapp/platform';
import type { AwsStandIn } from '@ashapp/aws-stand-in';
import { startAwsStandIn } from '@ashapp/aws-stand-in';
import {
  createCodeBuildService,
  readSourceLocation,
  validateCreateProjectInput,
} from './codebuild-service.ts';

const alice = {
  accessKeyId: 'AKIASTANDINALICE0001',
  secretAccessKey: 'alice-secret-key-000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
};
const ROLE = 'arn:aws:iam::111122223333:role/codebuild-service';
const body = {
  project_name: 'demo-app',
  source_location: 'https://github.com/example/demo-app',
  build_spec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n',
};

describe('CodeBuild project input validation', () => {
  test('accepts the original body and infers the source type', () => {
    assert.deepEqual(validateCreateProjectInput(body), body);
    assert.deepEqual(readSourceLocation('s3://my-bucket/src.zip'), {
      type: 'S3',
      location: 'my-bucket/src.zip',
    });
    assert.equal(
      readSourceLocation('https://git-codecommit.us-east-1.amazonaws.com/v1/repos/x').type,
      'CODECOMMIT',
    );
  });

  test('rejects missing fields, bad names, bad sources and buildspecs without a version', () => {
    assert.throws(
      () => validateCreateProjectInput({ ...body, project_name: '' }),
      /project_name is required/,
    );
    assert.throws(
      () => validateCreateProjectInput({ ...body, project_name: 'bad name!' }),
      /project_name must be/,
    );
    assert.throws(
      () => validateCreateProjectInput({ ...body, source_location: 'file:///etc/passwd' }),
      InputError,
    );
    assert.throws(
      () => validateCreateProjectInput({ ...body, source_location: 'http://github.com/x/y' }),
      /https URL/,
    );
    assert.throws(
      () => validateCreateProjectInput({ ...body, source_location: 'https://user:pw@github.com/x/y' }),
      /without credentials/,
    );
    assert.throws(
      () => validateCreateProjectInput({ ...body, source_location: 'https://evil.example/x' }),
      /not a source/,
    );
    assert.throws(() => validateCreateProjectInput({ ...body, build_spec: 'phases: {}' }), /version: 0.2/);
    assert.throws(() => validateCreateProjectInput({ ...body, service_role: 'admin' }), /IAM role ARN/);
  });
});

describe('CodeBuild service against the AWS stand-in (SDK clients)', () => {
  let standIn: AwsStandIn;
  before(async () => {
    standIn = await startAwsStandIn({ users: [alice] });
  });
  after(async () => {
    await standIn.close();
  });

  test('creates a project, starts a build, follows its phases, reads its logs and lists builds', async () => {
    const service = createCodeBuildService({
      credentials: alice,
      region: 'us-east-1',
      endpoint: standIn.url,
      serviceRoleArn: ROLE,
      maxAttempts: 1,
    });
    try {
      const project = await service.createProject(body);
      assert.deepEqual(project, {
        name: 'demo-app',
        arn: 'arn:aws:codebuild:us-east-1:111122223333:project/demo-app',
        sourceType: 'GITHUB',
        sourceLocation: body.source_location,
      });
      const created = standIn.calls.find((c) => c.action === 'CreateProject');
      assert.equal((created?.params['source'] as { buildspec: string }).buildspec, body.build_spec);
      assert.equal(created?.params['serviceRole'], ROLE);

      const started = await service.startBuild('demo-app');
      assert.match(started.id, /^demo-app:/);
      const build = await service.getBuild(started.id);
      assert.equal(build.status, 'SUCCEEDED');
      assert.equal(build.complete, true);
      assert.deepEqual(build.phases.map((p) => p.phase).slice(0, 3), ['SUBMITTED', 'QUEUED', 'PROVISIONING']);

      const logs = await service.readBuildLogs(started.id);
      assert.ok(logs.events.some((e) => e.message.includes('Phase complete: BUILD State: SUCCEEDED')));
      const more = await service.readBuildLogs(started.id, { nextToken: logs.nextToken as string });
      assert.ok(more.nextToken === undefined || more.events.length >= 0);

      assert.deepEqual((await service.listBuilds({ projectName: 'demo-app' })).ids, [started.id]);
      assert.deepEqual((await service.listBuilds()).ids, [started.id]);
    } finally {
      await service.close();
    }
  });

  test('maps AWS errors: duplicate project → 409, unknown project → 404, missing role → 400', async () => {
    const service = createCodeBuildService({
      credentials: alice,
      region: 'us-east-1',
      endpoint: standIn.url,
      serviceRoleArn: ROLE,
      maxAttempts: 1,
    });
    const noRole = createCodeBuildService({
      credentials: alice,
      region: 'us-east-1',
      endpoint: standIn.url,
      maxAttempts: 1,
    });
    try {
      await service.createProject({ ...body, project_name: 'dup-project' });
      await assert.rejects(service.createProject({ ...body, project_name: 'dup-project' }), ConflictError);
      await assert.rejects(service.startBuild('no-such-project'), NotFoundError);
      await assert.rejects(noRole.createProject({ ...body, project_name: 'x-project' }), /service role/);
      await assert.rejects(service.getBuild('not a build id'), InputError);
    } finally {
      await service.close();
      await noRole.close();
    }
  });

  test('asks to sign in again when the credentials are refused', async () => {
    const service = createCodeBuildService({
      credentials: { ...alice, secretAccessKey: 'wrong' },
      region: 'us-east-1',
      endpoint: standIn.url,
      maxAttempts: 1,
    });
    try {
      await assert.rejects(
        service.listBuilds(),
        (err: unknown) => err instanceof NotAuthenticatedError && /sign in again/.test(err.message),
      );
    } finally {
      await service.close();
    }
  });
});
