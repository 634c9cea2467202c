import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UnavailableError } from '@ashapp/platform';
import { createAwsModelCatalog, DEFAULT_AWS_MODELS_DIR } from './model-catalog.ts';
import { toCliName } from './names.ts';
import { validatePlan } from './plan-validator.ts';

const catalog = createAwsModelCatalog();

describe('CLI names', () => {
  test('converts model names to the CLI kebab-case names', () => {
    assert.equal(toCliName('DescribeInstances'), 'describe-instances');
    assert.equal(toCliName('InstanceIds'), 'instance-ids');
    assert.equal(toCliName('DBInstanceIdentifier'), 'db-instance-identifier');
    assert.equal(toCliName('ListWebACLs'), 'list-web-acls');
    assert.equal(toCliName('GetCallerIdentity'), 'get-caller-identity');
    assert.equal(toCliName('ExecutePartiQLStatement'), 'execute-partiql-statement');
  });
});

describe('AWS model catalog (real CLI models)', () => {
  test('maps the CLI service names of the 20 supported services to models', () => {
    for (const name of [
      'ec2',
      's3api',
      'iam',
      'lambda',
      'rds',
      'cloudwatch',
      'logs',
      'cloudformation',
      'ecs',
      'eks',
      'ecr',
      'dynamodb',
      'sns',
      'sqs',
      'route53',
      'sts',
      'codebuild',
    ]) {
      assert.ok(catalog.getService(name).operations.size > 0, name);
    }
    assert.equal(catalog.getService('s3api').modelName, 's3');
    assert.equal(catalog.getService('cloudwatch').endpointPrefix, 'monitoring');
  });

  test('finds operations by CLI name and by model name', () => {
    assert.equal(catalog.getOperation('ec2', 'describe-instances').name, 'DescribeInstances');
    assert.equal(catalog.getOperation('ec2', 'DescribeInstances').cliName, 'describe-instances');
    const param = catalog.getOperation('ec2', 'describe-instances').parametersByCliName.get('instance-ids');
    assert.equal(param?.memberName, 'InstanceIds');
  });

  test('applies the CLI argument renames (eks create-cluster --kubernetes-version)', () => {
    const op = catalog.getOperation('eks', 'create-cluster');
    assert.equal(op.parameters.get('version')?.cliName, 'kubernetes-version');
  });

  test('returns the same cached service object on the second call', () => {
    assert.equal(catalog.getService('sts'), catalog.getService('sts'));
  });

  test('keeps only the most recently used services decoded (maxCachedServices), decoding others again', () => {
    const bounded = createAwsModelCatalog({ maxCachedServices: 2 });
    const ec2 = bounded.getService('ec2');
    const s3api = bounded.getService('s3api');
    assert.equal(bounded.getService('ec2'), ec2, 'ec2 used again: now the most recent');
    bounded.getService('iam');
    assert.equal(bounded.getService('ec2'), ec2, 'ec2 stayed');
    const s3again = bounded.getService('s3api');
    assert.notEqual(s3again, s3api, 's3api, the least recently used, was dropped and decoded again');
    assert.deepEqual([...s3again.operations.keys()], [...s3api.operations.keys()]);
  });

  test('rejects an unknown service with close matches', () => {
    assert.throws(
      () => catalog.getService('ec3'),
      (err: unknown) => err instanceof InputError && /ec2/.test(err.message),
    );
  });

  test('rejects an unknown operation with close matches', () => {
    assert.throws(
      () => catalog.getOperation('ec2', 'describe-instance'),
      (err: unknown) => err instanceof InputError && /describe-instances/.test(err.message),
    );
  });
});

describe('plan validation', () => {
  test('accepts a valid plan and normalises CLI parameter names to members', () => {
    const v = validatePlan(catalog, {
      service: 'ec2',
      operation: 'describe-instances',
      parameters: {
        '--instance-ids': ['i-0123456789abcdef0'],
        Filters: [{ Name: 'instance-state-name', Values: ['running'] }],
      },
      region: 'eu-west-1',
    });
    assert.deepEqual(v.plan.parameters, {
      InstanceIds: ['i-0123456789abcdef0'],
      Filters: [{ Name: 'instance-state-name', Values: ['running'] }],
    });
    assert.equal(v.action, 'ec2:DescribeInstances');
  });

  test('fills in the default region', () => {
    const v = validatePlan(
      catalog,
      { service: 'sts', operation: 'get-caller-identity', parameters: {} },
      { defaultRegion: 'us-east-2' },
    );
    assert.equal(v.plan.region, 'us-east-2');
  });

  test('rejects an unknown parameter with a suggestion', () => {
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 'ec2',
          operation: 'describe-instances',
          parameters: { '--instance-id': ['x'] },
          region: 'us-east-1',
        }),
      (err: unknown) => err instanceof InputError && /--instance-ids/.test(err.message),
    );
  });

  test('rejects a missing required member', () => {
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 'ec2',
          operation: 'stop-instances',
          parameters: {},
          region: 'us-east-1',
        }),
      (err: unknown) => err instanceof InputError && /needs --instance-ids/.test(err.message),
    );
  });

  test('rejects a scalar where a list is expected, a string for an integer and a string for a boolean', () => {
    const base = { service: 'ec2', operation: 'describe-instances', region: 'us-east-1' };
    assert.throws(
      () => validatePlan(catalog, { ...base, parameters: { InstanceIds: 'i-1' } }),
      /expected a list/,
    );
    assert.throws(
      () => validatePlan(catalog, { ...base, parameters: { MaxResults: '5' } }),
      /expected an integer/,
    );
    assert.throws(
      () => validatePlan(catalog, { ...base, parameters: { DryRun: 'yes' } }),
      /expected true or false/,
    );
  });

  test('rejects file:// and fileb:// values at any depth', () => {
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 'ec2',
          operation: 'describe-instances',
          region: 'us-east-1',
          parameters: { Filters: [{ Name: 'x', Values: ['file:///etc/passwd'] }] },
        }),
      /file:\/\//,
    );
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 'iam',
          operation: 'create-policy',
          region: 'us-east-1',
          parameters: { PolicyName: 'p', PolicyDocument: 'FILEB://x' },
        }),
      /file:\/\//,
    );
  });

  test('rejects operations that read or write local files', () => {
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 's3api',
          operation: 'get-object',
          region: 'us-east-1',
          parameters: { Bucket: 'b', Key: 'k' },
        }),
      /local files/,
    );
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 's3api',
          operation: 'put-object',
          region: 'us-east-1',
          parameters: { Bucket: 'b', Key: 'k' },
        }),
      /local files/,
    );
  });

  test('rejects a bad region, extra fields and enum values outside the model', () => {
    assert.throws(
      () =>
        validatePlan(catalog, { service: 'sts', operation: 'get-caller-identity', region: 'mars; rm -rf /' }),
      /region/,
    );
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 'sts',
          operation: 'get-caller-identity',
          region: 'us-east-1',
          shell: 'x',
        }),
      /unexpected plan field/,
    );
    assert.throws(
      () =>
        validatePlan(catalog, {
          service: 'ec2',
          operation: 'describe-instance-attribute',
          region: 'us-east-1',
          parameters: { InstanceId: 'i-1', Attribute: 'instanceTyp' },
        }),
      /instanceType/,
    );
  });
});

describe('committed model index (no CLI needed)', () => {
  test('loads its header within 1 s and a service on first use', () => {
    const started = performance.now();
    const fresh = createAwsModelCatalog();
    assert.ok(fresh.listServiceSummaries().length > 300);
    const headerMs = performance.now() - started;
    assert.ok(headerMs < 1000, `header ${headerMs} ms`);
    assert.ok(fresh.getService('ec2').operations.size > 500);
    assert.ok(performance.now() - started < 1000);
  });

  test('carries names, operations, required members with documentation, and sensitive outputs', () => {
    const stepFunctions = catalog.listServiceSummaries().find((s) => s.cliName === 'stepfunctions');
    assert.equal(stepFunctions?.serviceFullName, 'AWS Step Functions');
    assert.equal(stepFunctions?.serviceId, 'SFN');
    assert.equal(catalog.getService('configservice').modelName, 'config');
    assert.equal(catalog.getService('deploy').modelName, 'codedeploy');
    const endpoint = catalog.getOperation('sagemaker', 'describe-endpoint').parameters.get('EndpointName');
    assert.equal(endpoint?.required, true);
    assert.equal(endpoint?.documentation, 'The name of the endpoint.');
    assert.ok(
      catalog.getOperation('secretsmanager', 'get-secret-value').sensitiveOutput.includes('SecretString'),
    );
    // CloudFront's operations carry a version in their names; the CLI (and the index) use the API names.
    assert.equal(catalog.getOperation('cloudfront', 'list-distributions').name, 'ListDistributions');
  });

  test('matches the installed AWS CLI v2 models operation by operation for sample services', () => {
    for (const [cliName, dir] of [
      ['ec2', 'ec2'],
      ['iam', 'iam'],
      ['s3api', 's3'],
      ['stepfunctions', 'stepfunctions'],
    ] as const) {
      const versions = readdirSync(join(DEFAULT_AWS_MODELS_DIR, dir)).sort();
      const raw = JSON.parse(
        readFileSync(join(DEFAULT_AWS_MODELS_DIR, dir, versions.at(-1) as string, 'service-2.json'), 'utf8'),
      ) as {
        operations: Record<string, { input?: { shape: string } }>;
        shapes: Record<string, { required?: string[] }>;
      };
      const service = catalog.getService(cliName);
      assert.deepEqual(
        [...service.operations.values()].map((o) => o.name).sort(),
        Object.keys(raw.operations).sort(),
        cliName,
      );
      for (const [name, op] of Object.entries(raw.operations)) {
        const required = op.input ? (raw.shapes[op.input.shape]?.required ?? []) : [];
        const indexed = [...catalog.getOperation(cliName, name).parameters.values()]
          .filter((p) => p.required)
          .map((p) => p.memberName);
        assert.deepEqual(indexed.sort(), [...required].sort(), `${cliName} ${name}`);
      }
    }
  });

  test('says how to regenerate a missing index', () => {
    const missing = createAwsModelCatalog({ indexFile: '/nonexistent/aws-models.idx' });
    assert.throws(
      () => missing.getService('ec2'),
      (err: unknown) => err instanceof UnavailableError && /npm run models:index/.test(err.message),
    );
  });
});
