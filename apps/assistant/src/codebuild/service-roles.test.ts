import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IAMClient } from '@aws-sdk/client-iam';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { startTestAssistant, standInUsers, type TestAssistant } from '../../test/harness.ts';
import { listCodeBuildServiceRoles, trustsCodeBuild } from './codebuild-roles.ts';

const trust = (statement: Record<string, unknown>) =>
  encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }));

describe('which IAM roles CodeBuild may assume', () => {
  test('reads the URL-encoded trust policy IAM returns and needs an Allow of sts:AssumeRole for codebuild.amazonaws.com', () => {
    assert.equal(
      trustsCodeBuild(
        trust({
          Effect: 'Allow',
          Principal: { Service: 'codebuild.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      ),
      true,
    );
    assert.equal(
      trustsCodeBuild(
        trust({
          Effect: 'Allow',
          Principal: { Service: ['lambda.amazonaws.com', 'codebuild.amazonaws.com'] },
          Action: ['sts:AssumeRole'],
        }),
      ),
      true,
    );
    assert.equal(
      trustsCodeBuild(
        trust({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      ),
      false,
    );
    assert.equal(
      trustsCodeBuild(
        trust({
          Effect: 'Deny',
          Principal: { Service: 'codebuild.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      ),
      false,
    );
    assert.equal(
      trustsCodeBuild(
        trust({
          Effect: 'Allow',
          Principal: { Service: 'codebuild.amazonaws.com' },
          Action: 'sts:TagSession',
        }),
      ),
      false,
    );
    assert.equal(
      trustsCodeBuild(
        trust({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'sts:AssumeRole',
        }),
      ),
      false,
    );
    assert.equal(trustsCodeBuild('%7Bnot json'), false);
    assert.equal(trustsCodeBuild(undefined), false);
  });
});

describe('IAM ListRoles through the real SDK against the AWS stand-in (query protocol, XML, paging)', () => {
  let standIn: AwsStandIn;
  const user = standInUsers.alice;

  before(async () => {
    const roles = Array.from({ length: 230 }, (_, i) => ({
      name: `role-${String(i).padStart(3, '0')}`,
      trustedServices: [i % 50 === 7 ? 'codebuild.amazonaws.com' : 'ec2.amazonaws.com'],
    }));
    standIn = await startAwsStandIn({ users: [{ ...user }], roles });
  });
  after(async () => standIn?.close());

  test('stand-in: pages through every role and keeps only those CodeBuild may assume, sorted by name', async () => {
    const iam = new IAMClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    });
    try {
      const found = await listCodeBuildServiceRoles(iam);
      assert.deepEqual(
        found.map((r) => r.name),
        ['role-007', 'role-057', 'role-107', 'role-157', 'role-207'],
      );
      assert.equal(found[0]?.arn, `arn:aws:iam::${user.account}:role/role-007`);
      assert.equal(standIn.calls.filter((c) => c.service === 'iam' && c.action === 'ListRoles').length, 3);
    } finally {
      iam.destroy();
    }
  });
});

describe('GET /api/codebuild/service-roles (assistant routes, AWS stand-in, real SDK)', () => {
  let t: TestAssistant;
  before(async () => {
    t = await startTestAssistant();
  });
  after(async () => t?.close());

  test('stand-in: lists the roles CodeBuild may assume with the user credentials, says the default, and is audited', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/codebuild/service-roles',
      headers: t.headers(),
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as {
      roles: Array<{ name: string; arn: string; description?: string }>;
      default_role: string | null;
    };
    assert.deepEqual(body.roles, [
      {
        name: 'codebuild-ashapp-service-role',
        arn: 'arn:aws:iam::111122223333:role/service-role/codebuild-ashapp-service-role',
        description: 'Builds for ASHapp',
      },
    ]);
    assert.equal(body.default_role, 'arn:aws:iam::111122223333:role/codebuild-service');
    const call = t.standIn.calls.find((c) => c.service === 'iam');
    assert.equal(call?.accessKeyId, standInUsers.alice.accessKeyId);
    assert.ok((await t.auditEvents()).some((e) => e.action_type === 'codebuild.list_service_roles'));
  });

  test('stand-in: a project created with a listed role goes to CodeBuild with that role', async () => {
    const role = 'arn:aws:iam::111122223333:role/service-role/codebuild-ashapp-service-role';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/codebuild/projects',
      payload: {
        project_name: 'picked-role',
        source_location: 'https://github.com/example/demo-app',
        build_spec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n',
        service_role: role,
      },
      headers: t.headers(),
    });
    assert.equal(res.statusCode, 201, res.body);
    const created = t.standIn.calls.find(
      (c) => c.action === 'CreateProject' && c.params['name'] === 'picked-role',
    );
    assert.equal(created?.params['serviceRole'], role);
  });

  test('answers 401 without the user session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/codebuild/service-roles' });
    assert.equal(res.statusCode, 401);
  });
});
