import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@ashapp/platform';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { createLiteralPlanner } from '../planning/literal-planner.ts';
import type { Plan } from '../plan/plan.ts';
import { createConfirmationService } from './confirmation-service.ts';
import { createInMemoryConfirmationStore } from './confirmation-store.ts';
import { classifyOperation } from './read-only.ts';
import { createSafetyPolicy, DEFAULT_SAFETY_RULES } from './safety-rules.ts';

describe('read-only classification', () => {
  test('treats describe/list/get/head/lookup/search/batch-get operations as read-only', () => {
    for (const action of [
      'ec2:DescribeInstances',
      's3:ListBuckets',
      'iam:GetUser',
      's3:HeadBucket',
      'cloudtrail:LookupEvents',
      'servicecatalog:SearchProducts',
      'dynamodb:BatchGetItem',
      'sts:GetCallerIdentity',
      'logs:GetQueryResults',
    ]) {
      assert.equal(classifyOperation(action).readOnly, true, action);
    }
  });

  test('treats DynamoDB Query/Scan and CloudWatch Logs queries as read-only', () => {
    for (const action of ['dynamodb:Query', 'dynamodb:Scan', 'logs:FilterLogEvents', 'logs:StartQuery']) {
      assert.equal(classifyOperation(action).readOnly, true, action);
    }
  });

  test('treats changes as not read-only, whatever words appear in them', () => {
    for (const action of [
      'ec2:StopInstances',
      's3:CreateBucket',
      'iam:DeleteUser',
      'dynamodb:ExecuteStatement',
      'athena:StartQueryExecution',
      'ec2:Getaway',
      'lambda:Invoke',
      'iam:GenerateCredentialReport',
    ]) {
      assert.equal(classifyOperation(action).readOnly, false, action);
    }
  });

  test('treats reads that return credentials or secrets as not read-only', () => {
    for (const action of [
      'sts:GetSessionToken',
      'sts:GetFederationToken',
      'ecr:GetAuthorizationToken',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameter',
    ]) {
      assert.equal(classifyOperation(action).readOnly, false, action);
    }
  });
});

describe('safety rules', () => {
  const check = (
    policy: ReturnType<typeof createSafetyPolicy>,
    action: string,
    roles: string[] = ['user'],
  ) => {
    const cli = action.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    return policy.decide({ action, cliAction: cli, readOnly: classifyOperation(action).readOnly, roles });
  };

  test('runs read-only operations at once and asks for everything else by default', () => {
    const policy = createSafetyPolicy([]);
    assert.deepEqual(check(policy, 'ec2:DescribeInstances').confirm, false);
    assert.equal(check(policy, 'ec2:StopInstances').effect, 'ask');
    assert.equal(check(policy, 'ec2:StopInstances').confirm, true);
  });

  test('denies by wildcard, with deny beating ask and allow', () => {
    const policy = createSafetyPolicy([
      { effect: 'allow', actions: ['iam:*'] },
      { effect: 'deny', actions: ['iam:Delete*'], reason: 'no IAM deletions' },
      { effect: 'ask', actions: ['*:List*'] },
    ]);
    assert.equal(check(policy, 'iam:DeleteUser').effect, 'deny');
    assert.equal(check(policy, 'iam:DeleteUser').reason, 'no IAM deletions');
    assert.equal(check(policy, 'iam:ListUsers').effect, 'ask');
    assert.equal(check(policy, 'iam:CreateUser').effect, 'allow');
    assert.equal(check(policy, 'iam:CreateUser').confirm, false);
  });

  test('applies rules per role', () => {
    const policy = createSafetyPolicy([
      { effect: 'deny', actions: ['ec2:Terminate*'], roles: ['user'] },
      { effect: 'allow', actions: ['ec2:Terminate*'], roles: ['admin'] },
    ]);
    assert.equal(check(policy, 'ec2:TerminateInstances', ['user']).effect, 'deny');
    assert.equal(check(policy, 'ec2:TerminateInstances', ['admin']).effect, 'allow');
    assert.equal(check(policy, 'ec2:TerminateInstances', ['user', 'admin']).effect, 'deny');
  });

  test('matches CLI-style patterns too', () => {
    const policy = createSafetyPolicy([{ effect: 'deny', actions: ['s3api:delete-*'] }]);
    assert.equal(
      policy.decide({
        action: 's3:DeleteBucket',
        cliAction: 's3api:delete-bucket',
        readOnly: false,
        roles: ['user'],
      }).effect,
      'deny',
    );
  });

  test('denies credential-returning operations by default', () => {
    const policy = createSafetyPolicy(DEFAULT_SAFETY_RULES);
    assert.equal(check(policy, 'sts:GetSessionToken').effect, 'deny');
    assert.equal(check(policy, 'iam:CreateAccessKey').effect, 'deny');
  });

  test('rejects malformed rule patterns', () => {
    assert.throws(() => createSafetyPolicy([{ effect: 'deny', actions: ['iam Delete*; rm'] }]), InputError);
  });
});

describe('confirmations', () => {
  const stopPlan: Plan = {
    service: 'ec2',
    operation: 'stop-instances',
    parameters: { InstanceIds: ['i-0a1b2c3d4e5f60001'] },
    region: 'us-east-1',
  };
  const setup = () => {
    let clock = new Date('2026-01-01T00:00:00Z');
    const store = createInMemoryConfirmationStore();
    const service = createConfirmationService({ store, now: () => clock });
    return { service, store, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
  };
  const ask = (service: ReturnType<typeof setup>['service'], plan: Plan = stopPlan) =>
    service.requestConfirmation({
      userId: 'alice',
      sessionId: 's1',
      query: 'stop instance i-0a1b2c3d4e5f60001',
      plan,
      command: 'aws ec2 stop-instances …',
    });

  test('accepting returns exactly the stored plan, once', async () => {
    const { service } = setup();
    const { confirmationId, expiresAt } = await ask(service);
    assert.equal(expiresAt.toISOString(), '2026-01-01T00:05:00.000Z');
    const resolved = await service.resolveConfirmation({
      userId: 'alice',
      sessionId: 's1',
      confirmationId,
      decision: 'accept',
    });
    assert.deepEqual(resolved.plan, stopPlan);
    assert.equal(resolved.decision, 'accept');
  });

  test('rejects a replayed confirmation', async () => {
    const { service } = setup();
    const { confirmationId } = await ask(service);
    await service.resolveConfirmation({
      userId: 'alice',
      sessionId: 's1',
      confirmationId,
      decision: 'accept',
    });
    await assert.rejects(
      service.resolveConfirmation({ userId: 'alice', sessionId: 's1', confirmationId, decision: 'accept' }),
      ConflictError,
    );
  });

  test('declining uses the confirmation up: a later accept fails', async () => {
    const { service } = setup();
    const { confirmationId } = await ask(service);
    const declined = await service.resolveConfirmation({
      userId: 'alice',
      sessionId: 's1',
      confirmationId,
      decision: 'decline',
    });
    assert.equal(declined.decision, 'decline');
    await assert.rejects(
      service.resolveConfirmation({ userId: 'alice', sessionId: 's1', confirmationId, decision: 'accept' }),
      ConflictError,
    );
  });

  test("rejects another user's confirmation as not found", async () => {
    const { service } = setup();
    const { confirmationId } = await ask(service);
    await assert.rejects(
      service.resolveConfirmation({ userId: 'mallory', sessionId: 's1', confirmationId, decision: 'accept' }),
      NotFoundError,
    );
    await assert.rejects(
      service.resolveConfirmation({
        userId: 'mallory',
        sessionId: 's9',
        query: 'stop instance i-0a1b2c3d4e5f60001',
        decision: 'accept',
      }),
      NotFoundError,
    );
  });

  test('rejects a confirmation from another session of the same user', async () => {
    const { service } = setup();
    const { confirmationId } = await ask(service);
    await assert.rejects(
      service.resolveConfirmation({ userId: 'alice', sessionId: 's2', confirmationId, decision: 'accept' }),
      NotAllowedError,
    );
  });

  test('rejects an edited plan, including a read-only plan swapped for the confirmed write', async () => {
    const { service } = setup();
    const { confirmationId } = await ask(service);
    const edited = { ...stopPlan, operation: 'terminate-instances' };
    await assert.rejects(
      service.resolveConfirmation({
        userId: 'alice',
        sessionId: 's1',
        confirmationId,
        decision: 'accept',
        plan: edited,
      }),
      ConflictError,
    );
    // The original confirmation stays usable for exactly the shown plan.
    const ok = await service.resolveConfirmation({
      userId: 'alice',
      sessionId: 's1',
      confirmationId,
      decision: 'accept',
      plan: stopPlan,
    });
    assert.deepEqual(ok.plan, stopPlan);
  });

  test('rejects a confirmation whose stored plan was changed in storage', async () => {
    const store = createInMemoryConfirmationStore();
    const service = createConfirmationService({ store });
    const { confirmationId } = await ask(service);
    const record = await store.findById(confirmationId);
    assert.ok(record);
    await store.insert({ ...record, plan: { ...stopPlan, operation: 'terminate-instances' } });
    await assert.rejects(
      service.resolveConfirmation({ userId: 'alice', sessionId: 's1', confirmationId, decision: 'accept' }),
      /does not match/,
    );
  });

  test('expires after five minutes', async () => {
    const { service, advance } = setup();
    const { confirmationId } = await ask(service);
    advance(5 * 60 * 1000 + 1);
    await assert.rejects(
      service.resolveConfirmation({ userId: 'alice', sessionId: 's1', confirmationId, decision: 'accept' }),
      /expired/,
    );
  });

  test('resolves the original {query, decision} to the newest pending confirmation for that query only', async () => {
    const { service, advance } = setup();
    await ask(service);
    advance(1000);
    const second = await ask(service);
    const resolved = await service.resolveConfirmation({
      userId: 'alice',
      sessionId: 's1',
      query: 'stop instance i-0a1b2c3d4e5f60001',
      decision: 'accept',
    });
    assert.equal(resolved.confirmationId, second.confirmationId);
    await assert.rejects(
      service.resolveConfirmation({
        userId: 'alice',
        sessionId: 's1',
        query: 'terminate everything',
        decision: 'accept',
      }),
      NotFoundError,
    );
  });

  test('rejects an unknown decision', async () => {
    const { service } = setup();
    const { confirmationId } = await ask(service);
    await assert.rejects(
      service.resolveConfirmation({
        userId: 'alice',
        sessionId: 's1',
        confirmationId,
        decision: 'yes' as 'accept',
      }),
      InputError,
    );
  });
});

describe('reads that hand out credentials or secrets (issue 8 item 5)', () => {
  const catalog = createAwsModelCatalog();
  const policy = createSafetyPolicy(DEFAULT_SAFETY_RULES);
  const decide = (action: string, parameters: Record<string, unknown> = {}) => {
    const [service, operation] = action.split(':') as [string, string];
    const cliService = service === 's3' ? 's3api' : service;
    const model = catalog.getOperation(cliService, operation);
    const verdict = classifyOperation(action, { sensitiveOutput: model.sensitiveOutput, parameters });
    return {
      verdict,
      decision: policy.decide({
        action,
        cliAction: `${cliService}:${model.cliName}`,
        readOnly: verdict.readOnly,
        roles: ['user'],
      }),
    };
  };

  test('denies by default the operations that mint credentials, and calls them secret, not read-only', () => {
    for (const action of [
      'cognito-identity:GetCredentialsForIdentity',
      'sso:GetRoleCredentials',
      'redshift-serverless:GetCredentials',
      'redshift:GetClusterCredentials',
      'redshift:GetClusterCredentialsWithIAM',
      'ecr:GetAuthorizationToken',
      'sts:GetSessionToken',
      'sts:AssumeRole',
      'sts:AssumeRoleWithWebIdentity',
      'sts:AssumeRoleWithSAML',
      'sts:GetFederationToken',
      'ec2:CreateKeyPair',
      'iam:CreateServiceSpecificCredential',
      'iam:CreateAccessKey',
      'lightsail:GetInstanceAccessDetails',
      'lightsail:CreateBucketAccessKey',
    ]) {
      const { verdict, decision } = decide(action);
      assert.equal(verdict.readOnly, false, action);
      assert.equal(verdict.risk, 'secret', action);
      assert.equal(decision.effect, 'deny', action);
    }
  });

  test('asks before reading a secret, with "reads a secret" wording distinct from changes', () => {
    for (const action of [
      'secretsmanager:GetSecretValue',
      'ssm:GetParameter',
      'ssm:GetParameters',
      'ssm:GetParametersByPath',
      'kms:Decrypt',
      'lightsail:GetRelationalDatabaseMasterUserPassword',
    ]) {
      const { verdict, decision } = decide(action);
      assert.equal(verdict.risk, 'secret', action);
      assert.match(verdict.reason, /reads a secret/, action);
      assert.equal(decision.effect, 'ask', action);
      assert.equal(decision.confirm, true, action);
    }
    assert.equal(decide('ec2:StopInstances').verdict.risk, 'change');
    assert.match(decide('ec2:StopInstances').verdict.reason, /can change resources/);
  });

  test('treats API Gateway key listings as secret only when values are asked for', () => {
    assert.equal(decide('apigateway:GetApiKeys').verdict.risk, 'read');
    assert.equal(decide('apigateway:GetApiKeys').decision.effect, 'ask');
    const withValues = decide('apigateway:GetApiKeys', { includeValues: true });
    assert.equal(withValues.verdict.risk, 'secret');
    assert.equal(withValues.decision.confirm, true);
    assert.equal(decide('apigateway:GetApiKey', { apiKey: 'k', includeValue: true }).verdict.risk, 'secret');
  });

  test('finds secret reads the list does not name from the models’ sensitive credential members', () => {
    // DescribeUserPoolClient returns the app client's ClientSecret; the models mark it sensitive.
    const { verdict } = decide('cognito-idp:DescribeUserPoolClient');
    assert.equal(verdict.risk, 'secret');
    assert.match(verdict.reason, /ClientSecret/);
    // Lightsail bucket access keys: the model marks the key ids sensitive; asked for, never plain reads.
    const lightsail = decide('lightsail:GetBucketAccessKeys');
    assert.equal(lightsail.verdict.risk, 'secret');
    assert.equal(lightsail.decision.confirm, true);
    // Sensitive but not a credential (the models also mark page tokens and descriptions): still a read.
    assert.equal(decide('chime:ListAccounts').verdict.risk, 'read');
    assert.equal(decide('ec2:DescribeInstances').verdict.risk, 'read');
  });

  test('refuses the CLI-only ecr get-login-password instead of running it', () => {
    const literal = createLiteralPlanner({ catalog });
    assert.throws(
      () => literal.parseCommand('aws ecr get-login-password', { defaultRegion: 'us-east-1' }),
      (err: unknown) => err instanceof InputError && /get-login-password/.test(err.message),
    );
  });
});
