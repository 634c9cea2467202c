import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@ashapp/platform';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { validatePlan } from '../aws-models/plan-validator.ts';
import { tokenizeCommandLine } from './cli-tokenizer.ts';
import { createLiteralPlanner } from './literal-planner.ts';
import { renderCommand } from './render-command.ts';
import { parseShorthand } from './shorthand.ts';

const catalog = createAwsModelCatalog();
const literal = createLiteralPlanner({ catalog });
const context = { defaultRegion: 'us-east-1' };
const parse = (command: string) => validatePlan(catalog, literal.parseCommand(command, context)).plan;
const rejects = (command: string, pattern: RegExp) =>
  assert.throws(
    () => parse(command),
    (err: unknown) => err instanceof InputError && pattern.test(err.message),
    command,
  );

describe('command-line tokenizer', () => {
  test('splits words and honours single quotes, double quotes and escapes', () => {
    const words = tokenizeCommandLine(`aws ec2 x --query 'A[?Key==\`Name\`]' --a "b \\"c\\" d" e\\ f`).map(
      (t) => t.value,
    );
    assert.deepEqual(words, ['aws', 'ec2', 'x', '--query', 'A[?Key==`Name`]', '--a', 'b "c" d', 'e f']);
  });

  test('keeps $(…), backticks and pipes inside quotes as plain characters', () => {
    const words = tokenizeCommandLine(
      `aws s3api create-bucket --bucket '$(touch /tmp/x)' --x "a|b;c&&d"`,
    ).map((t) => t.value);
    assert.deepEqual(words.slice(4), ['$(touch /tmp/x)', '--x', 'a|b;c&&d']);
  });

  test('rejects unquoted shell syntax: pipes, chaining, redirection, substitution', () => {
    for (const command of [
      'aws s3 ls | sh',
      'aws s3 ls; rm -rf /',
      'aws s3 ls && id',
      'aws s3 ls > /tmp/x',
      'aws s3 ls $(id)',
      'aws s3 ls `id`',
      'aws s3 ls &',
    ]) {
      assert.throws(() => tokenizeCommandLine(command), /shell syntax is not supported/, command);
    }
  });

  test('rejects unterminated quotes', () => {
    assert.throws(() => tokenizeCommandLine(`aws s3 ls 'abc`), /unterminated single quote/);
    assert.throws(() => tokenizeCommandLine(`aws s3 ls "abc`), /unterminated double quote/);
  });
});

describe('shorthand syntax', () => {
  test('parses Name=x,Values=a,b into a structure with a list', () => {
    assert.deepEqual(parseShorthand('Name=instance-state-name,Values=running,stopped'), {
      Name: 'instance-state-name',
      Values: ['running', 'stopped'],
    });
  });

  test('parses explicit lists, nested structures and quoted values', () => {
    assert.deepEqual(parseShorthand('Key=a,Value={X=1,Y=[p,q]},Z="x,y"'), {
      Key: 'a',
      Value: { X: '1', Y: ['p', 'q'] },
      Z: 'x,y',
    });
  });
});

describe('literal AWS CLI planner', () => {
  test('recognises commands that start with aws', () => {
    assert.equal(literal.looksLikeCommand('aws ec2 describe-instances'), true);
    assert.equal(literal.looksLikeCommand('/usr/local/bin/aws s3 ls'), true);
    assert.equal(literal.looksLikeCommand('list my aws buckets'), false);
  });

  test('parses ids, --region, --query and --output', () => {
    assert.deepEqual(
      parse(
        'aws ec2 describe-instances --instance-ids i-0abc1234def567890 i-0abc1234def567891 --region eu-west-1 --query "Reservations[].Instances[].InstanceId" --output text',
      ),
      {
        service: 'ec2',
        operation: 'describe-instances',
        parameters: { InstanceIds: ['i-0abc1234def567890', 'i-0abc1234def567891'] },
        region: 'eu-west-1',
        query: 'Reservations[].Instances[].InstanceId',
        output: 'text',
      },
    );
  });

  test('accepts global options before the service and --opt=value forms', () => {
    const plan = parse('aws --region ap-south-1 ec2 describe-instances --max-results=5');
    assert.equal(plan.region, 'ap-south-1');
    assert.deepEqual(plan.parameters, { MaxResults: 5 });
  });

  test('parses shorthand and JSON filters to the same plan', () => {
    const shorthand = parse(
      'aws ec2 describe-instances --filters Name=instance-state-name,Values=running Name=tag:Env,Values=prod',
    );
    const json = parse(
      `aws ec2 describe-instances --filters '[{"Name":"instance-state-name","Values":["running"]},{"Name":"tag:Env","Values":["prod"]}]'`,
    );
    assert.deepEqual(shorthand, json);
    assert.deepEqual(shorthand.parameters['Filters'], [
      { Name: 'instance-state-name', Values: ['running'] },
      { Name: 'tag:Env', Values: ['prod'] },
    ]);
  });

  test('parses boolean flags and their --no- forms', () => {
    assert.equal(
      parse('aws ec2 stop-instances --instance-ids i-0abc1234def567890 --dry-run').parameters['DryRun'],
      true,
    );
    assert.equal(
      parse('aws ec2 stop-instances --instance-ids i-0abc1234def567890 --no-dry-run').parameters['DryRun'],
      false,
    );
    rejects(
      'aws ec2 stop-instances --instance-ids i-0abc1234def567890 --dry-run yes',
      /flag and takes no value/,
    );
  });

  test('maps aws s3 ls / mb / rb to the S3 API', () => {
    assert.equal(parse('aws s3 ls').operation, 'list-buckets');
    assert.deepEqual(parse('aws s3 ls s3://my-bucket/logs/').parameters, {
      Bucket: 'my-bucket',
      Delimiter: '/',
      Prefix: 'logs/',
    });
    assert.deepEqual(parse('aws s3 mb s3://new-bucket --region eu-west-1'), {
      service: 's3api',
      operation: 'create-bucket',
      parameters: { Bucket: 'new-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } },
      region: 'eu-west-1',
    });
    assert.equal(parse('aws s3 rb s3://old-bucket').operation, 'delete-bucket');
    rejects('aws s3 cp /etc/passwd s3://b/x', /not supported here/);
    rejects('aws s3 sync . s3://b', /not supported here/);
  });

  test('parses aws s3api commands', () => {
    assert.deepEqual(parse('aws s3api list-buckets'), {
      service: 's3api',
      operation: 'list-buckets',
      parameters: {},
      region: 'us-east-1',
    });
  });

  for (const option of [
    '--endpoint-url http://evil.example',
    '--profile prod',
    '--ca-bundle /etc/ssl/x.pem',
    '--cli-input-json {}',
    '--cli-input-yaml x',
    '--debug',
    '--no-verify-ssl',
    '--cli-binary-format raw-in-base64-out',
    '--no-sign-request',
    '--endpoint-url=http://evil.example',
  ]) {
    test(`rejects the forbidden option ${option.split(/[ =]/)[0]} with a 400 naming it`, () => {
      const name = option.split(/[ =]/)[0] as string;
      assert.throws(
        () => literal.parseCommand(`aws sts get-caller-identity ${option}`, context),
        (err: unknown) => err instanceof InputError && err.status === 400 && err.message.includes(name),
      );
    });
  }

  test('rejects file:// and fileb:// values', () => {
    rejects('aws iam create-policy --policy-name p --policy-document file:///etc/passwd', /file:\/\//);
    rejects('aws ec2 describe-instances --filters fileb://x', /file:\/\//);
    rejects(`aws ec2 describe-instances --filters '[{"Name":"x","Values":["file://y"]}]'`, /file:\/\//);
  });

  test('rejects unknown options with close matches and extra positional words', () => {
    rejects('aws ec2 describe-instances --instance-id i-0abc1234def567890', /--instance-ids/);
    rejects('aws ec2 describe-instances extra', /unexpected argument/);
    rejects('aws ec2 describe-instancez', /describe-instances/);
    rejects('aws ecc2 describe-instances', /ec2/);
  });

  test('keeps $(…) in a quoted parameter value as a literal string', () => {
    const plan = parse(`aws s3api create-bucket --bucket '$(touch /tmp/pwned)'`);
    assert.equal(plan.parameters['Bucket'], '$(touch /tmp/pwned)');
  });
});

describe('rendering a plan as a command line', () => {
  test('round-trips literal commands through the parser', () => {
    for (const command of [
      "aws ec2 describe-instances --filters Name=instance-state-name,Values=running --query 'Reservations[].Instances[].InstanceId' --output text --region us-east-1",
      'aws ec2 stop-instances --instance-ids i-0abc1234def567890 i-0abc1234def567891 --dry-run --region eu-west-1',
      'aws iam create-policy --policy-name p --policy-document \'{"Version":"2012-10-17"}\' --region us-east-1',
    ]) {
      assert.equal(renderCommand(catalog, parse(command)), command);
    }
  });

  test('quotes values with shell characters for display', () => {
    const plan = parse(`aws s3api create-bucket --bucket 'a b$(x)'`);
    assert.equal(
      renderCommand(catalog, plan),
      `aws s3api create-bucket --bucket 'a b$(x)' --region us-east-1`,
    );
  });
});
