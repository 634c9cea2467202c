import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '@ashapp/platform';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { createBuiltInPlanner, NotUnderstoodError } from './builtin-planner.ts';
import { createLiteralPlanner } from './literal-planner.ts';
import type { LlmPlanner } from './llm-planner.ts';
import { createModelPlanner } from './model-planner.ts';
import { createPlannerChain } from './planner-chain.ts';
import { readPlannerCases } from './planner-table.ts';

const catalog = createAwsModelCatalog();
const model = createModelPlanner({ catalog });
const chain = createPlannerChain({
  catalog,
  literal: createLiteralPlanner({ catalog }),
  builtIn: createBuiltInPlanner(),
  model,
});
const plan = (request: string) => chain.planRequest({ request, defaultRegion: 'us-east-1' });

describe('planning over every service model', () => {
  test('plans the requests issue 10 found planned against another service for the service asked about', async () => {
    const expected: [string, string, string][] = [
      ['list step functions', 'stepfunctions', 'list-state-machines'],
      ['list glue databases', 'glue', 'get-databases'],
      ['list sagemaker notebook instances', 'sagemaker', 'list-notebook-instances'],
      ['list lightsail instances', 'lightsail', 'get-instances'],
      ['show ssm parameter /app/db/host', 'ssm', 'get-parameter'],
    ];
    for (const [request, service, operation] of expected) {
      const result = await plan(request);
      assert.equal(`${result.plan.service} ${result.plan.operation}`, `${service} ${operation}`, request);
    }
    assert.deepEqual((await plan('show ssm parameter /app/db/host')).plan.parameters, {
      Name: '/app/db/host',
    });
  });

  test('recognises services by product names and abbreviations', async () => {
    const expected: [string, string][] = [
      ['list msk clusters', 'kafka'],
      ['list parameters in systems manager', 'ssm'],
      ['list cognito user pools', 'cognito-idp'],
      ['list route 53 hosted zones', 'route53'],
      ['list my state machines', 'stepfunctions'],
      ['show my elastic file systems', 'efs'],
      ['list amazon connect instances', 'connect'],
      ['list eventbridge rules', 'events'],
    ];
    for (const [request, service] of expected)
      assert.equal((await plan(request)).plan.service, service, request);
  });

  test('plans a snapshot of a volume as create-snapshot (a change), not a read', async () => {
    const result = await plan('take a snapshot of volume vol-0123456789abcdef0');
    assert.equal(
      result.command,
      'aws ec2 create-snapshot --volume-id vol-0123456789abcdef0 --region us-east-1',
    );
    assert.equal(result.action, 'ec2:CreateSnapshot');
  });

  test('plans "create an access key for user admin" as create-access-key, never as create-user', async () => {
    const result = await plan('create an access key for user admin');
    assert.equal(result.command, 'aws iam create-access-key --user-name admin --region us-east-1');
  });

  test('binds ids, ARNs, URLs and names to the members they belong to', async () => {
    assert.deepEqual(
      (
        await plan(
          'start execution of state machine arn:aws:states:us-east-1:123456789012:stateMachine:orders',
        )
      ).plan.parameters,
      { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders' },
    );
    assert.deepEqual(
      (await plan('purge queue https://sqs.us-east-1.amazonaws.com/123456789012/jobs')).plan.parameters,
      { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' },
    );
    const sagemaker = await plan('stop sagemaker notebook instance research-nb');
    assert.equal(
      sagemaker.command,
      'aws sagemaker stop-notebook-instance --notebook-instance-name research-nb --region us-east-1',
    );
    assert.deepEqual((await plan('list tables in glue database sales')).plan.parameters, {
      DatabaseName: 'sales',
    });
  });

  test('asks for a required member the request does not give, with its documentation, instead of guessing', async () => {
    await assert.rejects(plan('describe sagemaker endpoint'), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'NEEDS_INPUT');
      assert.deepEqual(err.details, {
        service: 'sagemaker',
        operation: 'describe-endpoint',
        missing: [
          { member: 'EndpointName', option: 'endpoint-name', documentation: 'The name of the endpoint.' },
        ],
      });
      assert.match(err.message, /--endpoint-name \(The name of the endpoint\.\)/);
      return true;
    });
  });

  test('offers both operations when two fit equally, and runs neither', async () => {
    const result = await plan('show athena queries');
    assert.equal(result.plan.service, 'athena');
    const commands = [result.command, ...(result.choices ?? []).map((c) => c.command)];
    assert.deepEqual(commands.sort(), [
      'aws athena list-named-queries --region us-east-1',
      'aws athena list-query-executions --region us-east-1',
    ]);
  });

  test('refuses what it cannot match in a named service, suggesting that service’s closest operations', async () => {
    await assert.rejects(plan('frobnicate the step functions'), (err: unknown) => {
      assert.ok(err instanceof NotUnderstoodError);
      assert.ok(err.suggestions.length > 0);
      for (const suggestion of err.suggestions) assert.match(suggestion, /^aws stepfunctions /);
      return true;
    });
  });

  test('rejects an LLM plan for another service than the one the request names', async () => {
    const llm: LlmPlanner = {
      name: 'openai',
      proposePlan: async () => ({ service: 'lambda', operation: 'list-functions', parameters: {} }),
    };
    const withLlm = createPlannerChain({
      catalog,
      literal: createLiteralPlanner({ catalog }),
      builtIn: createBuiltInPlanner(),
      model,
      llm,
    });
    await assert.rejects(
      withLlm.planRequest({ request: 'frobnicate the step functions', defaultRegion: 'us-east-1' }),
      NotUnderstoodError,
    );
  });

  test('keeps every request of the built-in table planned exactly as the rules plan it', async () => {
    for (const { request, plan: expected } of readPlannerCases()) {
      const result = await plan(request);
      assert.equal(result.planner, 'built-in', request);
      assert.deepEqual(result.plan, expected, request);
    }
  });

  test('keeps the built-in rules where they add a projection', async () => {
    const result = await plan('list ec2 instance ids');
    assert.equal(result.planner, 'built-in');
    assert.equal(result.plan.query, 'Reservations[].Instances[].InstanceId');
  });

  test('a write request is never planned as a read, whatever the rules say', async () => {
    for (const request of [
      'invoke lambda function my-func',
      'allocate an elastic ip in ec2',
      'take a snapshot of rds instance prod-db',
      'snapshot volume vol-0123456789abcdef0',
    ]) {
      try {
        const result = await plan(request);
        assert.equal(chain.classifyPlan(result.plan).readOnly, false, `${request} → ${result.command}`);
      } catch (err) {
        // Asking for a missing value is fine; the operation it asks about must be the change.
        assert.ok(err instanceof AppError && err.code === 'NEEDS_INPUT', request);
        const details = err.details as { service: string; operation: string };
        assert.equal(
          chain.classifyPlan({
            service: details.service,
            operation: details.operation,
            parameters: {},
            region: 'us-east-1',
          }).readOnly,
          false,
          request,
        );
      }
    }
  });
});
