import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readPlannerCases } from '../planning/planner-table.ts';
import { buildConsoleUrl, CONSOLE_LINKED_SERVICES } from './console-links.ts';

describe('console reference links', () => {
  test('links EC2 instances to the instances page of the plan region', () => {
    assert.equal(
      buildConsoleUrl({
        service: 'ec2',
        operation: 'describe-instances',
        parameters: {},
        region: 'us-east-1',
      }),
      'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:',
    );
    assert.equal(
      buildConsoleUrl({
        service: 'ec2',
        operation: 'stop-instances',
        parameters: { InstanceIds: ['i-0abc'] },
        region: 'eu-west-1',
      }),
      'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc',
    );
  });

  test('links VPC resources to the VPC console', () => {
    assert.equal(
      buildConsoleUrl({ service: 'ec2', operation: 'describe-subnets', parameters: {}, region: 'us-east-2' }),
      'https://us-east-2.console.aws.amazon.com/vpcconsole/home?region=us-east-2#subnets:',
    );
  });

  test('links a named resource: bucket, function, log group, table, cluster', () => {
    assert.equal(
      buildConsoleUrl({
        service: 's3api',
        operation: 'list-objects-v2',
        parameters: { Bucket: 'my-data' },
        region: 'eu-west-1',
      }),
      'https://s3.console.aws.amazon.com/s3/buckets/my-data?region=eu-west-1',
    );
    assert.equal(
      buildConsoleUrl({
        service: 'lambda',
        operation: 'get-function',
        parameters: { FunctionName: 'api' },
        region: 'us-east-1',
      }),
      'https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/api',
    );
    assert.equal(
      buildConsoleUrl({
        service: 'logs',
        operation: 'filter-log-events',
        parameters: { logGroupName: '/aws/lambda/api' },
        region: 'us-east-1',
      }),
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fapi',
    );
    assert.equal(
      buildConsoleUrl({
        service: 'dynamodb',
        operation: 'describe-table',
        parameters: { TableName: 'orders' },
        region: 'us-east-1',
      }),
      'https://us-east-1.console.aws.amazon.com/dynamodbv2/home?region=us-east-1#table?name=orders',
    );
    assert.equal(
      buildConsoleUrl({
        service: 'eks',
        operation: 'describe-cluster',
        parameters: { name: 'prod' },
        region: 'us-east-1',
      }),
      'https://us-east-1.console.aws.amazon.com/eks/home?region=us-east-1#/clusters/prod',
    );
  });

  test('uses the global console for IAM and Route 53', () => {
    assert.equal(
      buildConsoleUrl({
        service: 'iam',
        operation: 'get-role',
        parameters: { RoleName: 'deploy' },
        region: 'eu-west-1',
      }),
      'https://us-east-1.console.aws.amazon.com/iam/home#/roles/details/deploy',
    );
    assert.match(
      buildConsoleUrl({
        service: 'route53',
        operation: 'list-resource-record-sets',
        parameters: { HostedZoneId: 'Z123' },
        region: 'eu-west-1',
      }),
      /#ListRecordSets\/Z123$/,
    );
  });

  test('covers every service of the built-in planner with an https console link', () => {
    for (const { request, plan } of readPlannerCases()) {
      assert.ok(CONSOLE_LINKED_SERVICES.includes(plan.service), plan.service);
      assert.match(buildConsoleUrl(plan), /^https:\/\/[a-z0-9.-]+\.console\.aws\.amazon\.com\//, request);
    }
  });

  test('falls back to the service home page for other services', () => {
    assert.equal(
      buildConsoleUrl({ service: 'kms', operation: 'list-keys', parameters: {}, region: 'us-east-1' }),
      'https://us-east-1.console.aws.amazon.com/kms/home?region=us-east-1',
    );
  });
});

test('links services outside the built-in rules to their console pages, not to dead paths', () => {
  const url = (service: string) =>
    buildConsoleUrl({ service, operation: 'list-x', parameters: {}, region: 'eu-west-1' });
  assert.equal(url('stepfunctions'), 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1');
  assert.equal(url('kafka'), 'https://eu-west-1.console.aws.amazon.com/msk/home?region=eu-west-1');
  assert.equal(url('ssm'), 'https://eu-west-1.console.aws.amazon.com/systems-manager/home?region=eu-west-1');
  assert.equal(
    url('elbv2'),
    'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#LoadBalancers:',
  );
  assert.equal(url('glue'), 'https://eu-west-1.console.aws.amazon.com/glue/home?region=eu-west-1');
});
