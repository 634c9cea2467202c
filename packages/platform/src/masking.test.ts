import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maskSecrets, maskSecretsInText, maskedValue } from './masking.ts';

const accessKey = 'AKIAIOSFODNN7EXAMPLE';
const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('maskSecrets', () => {
  test('masks values under secret-looking keys at any depth, in objects and arrays, case-insensitively', () => {
    const input = {
      user: 'alice',
      Password: 'p1',
      nested: { deeper: [{ api_key: 'k1' }, { Authorization: 'Basic abc' }, { note: 'fine' }] },
      list: [[{ SECRET_KEY: 's' }], { 'x-auth-token': 't' }],
      credentials: { anything: 'at all' },
      docker_token: 'dt',
      keys: ['a', 'b'],
    };
    const out = maskSecrets(input);
    assert.deepEqual(out, {
      user: 'alice',
      Password: maskedValue,
      nested: { deeper: [{ api_key: maskedValue }, { Authorization: maskedValue }, { note: 'fine' }] },
      list: [[{ SECRET_KEY: maskedValue }], { 'x-auth-token': maskedValue }],
      credentials: maskedValue,
      docker_token: maskedValue,
      keys: ['a', 'b'],
    });
    assert.equal(input.Password, 'p1', 'the input is not modified');
  });

  test('masks AWS keys, bearer tokens, JWTs and private keys inside any string value', () => {
    const out = maskSecrets({
      cmd: `aws configure set aws_access_key_id ${accessKey}`,
      text: [`secret is ${secretKey} ok`],
      header: 'Bearer abc.def-ghi',
      jwt: 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig',
      pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
      temp: 'ASIAY34FZKBOKMUTVV7A',
    });
    const json = JSON.stringify(out);
    for (const leaked of [
      accessKey,
      secretKey,
      'abc.def-ghi',
      'eyJhbGciOiJIUzI1NiJ9',
      'MIIEow',
      'ASIAY34FZKBOKMUTVV7A',
    ]) {
      assert.ok(!json.includes(leaked), `${leaked} leaked: ${json}`);
    }
    assert.match(out.cmd, /aws configure set aws_access_key_id \*\*\*/);
  });

  test('leaves ordinary values alone: git SHAs, instance ids, numbers, booleans, null', () => {
    const value = {
      sha: '3f786850e387550fdab836ed7e6dc881de23001b',
      instance: 'i-0abcd1234efgh5678',
      count: 3,
      ok: true,
      none: null,
      arn: 'arn:aws:iam::123456789012:user/alice',
    };
    assert.deepEqual(maskSecrets(value), value);
  });

  test('masks a bare string too', () => {
    assert.equal(maskSecretsInText(`key ${accessKey}`), `key ${maskedValue}`);
    assert.equal(maskSecrets(`x ${secretKey}`), `x ${maskedValue}`);
  });
});

describe('maskSecretsInText: secrets wherever they stand in a string', () => {
  const cases: Array<[string, string, string]> = [
    // [what, input, the secret that must not survive]
    ['key=value (the monitor note of issue 8)', `aws_secret_access_key=${secretKey}`, secretKey],
    [
      'Values= inside an ask',
      `aws ec2 describe-instances --filters Name=tag:x,Values=${secretKey}`,
      secretKey,
    ],
    ['key=value with a short password', 'db_password=hunter2 user=bob', 'hunter2'],
    ['key: value', 'token: abc123def', 'abc123def'],
    ['JSON inside a string', '{"password": "hunter 2 with spaces", "user": "bob"}', 'hunter 2'],
    ['escaped JSON inside a JSON string', '{\\"client_secret\\":\\"s3cr3tv4lue\\",\\"x\\":1}', 's3cr3tv4lue'],
    ['URL with credentials', 'DATABASE_URL=postgres://app:hunter2@db:5432/x', 'hunter2'],
    ['URL with a password only', 'redis://:s3cr3tpw@cache:6379', 's3cr3tpw'],
    ['AWS session token shape', 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDz', 'IQoJb3JpZ2lu'],
    ['AWS session token by name', 'AWS_SESSION_TOKEN=FwoGZXIvYXdzEXAMPLEtokenvalue', 'FwoGZXIvYXdz'],
    [
      'private key (PEM)',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXk',
    ],
    ['bearer token', 'Authorization: Bearer abc.def-ghi', 'abc.def-ghi'],
    ['CLI option', 'aws secretsmanager create-secret --name db --secret-string hunter2x', 'hunter2x'],
    ['CLI option with =', 'mysql --password=hunter2x -u root', 'hunter2x'],
    [
      'CLI shorthand parameter',
      'aws cloudformation create-stack --parameters ParameterKey=DbPassword,ParameterValue=hunter2x',
      'hunter2x',
    ],
    [
      'presigned URL',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2024&X-Amz-Signature=abcdef0123',
      'abcdef0123',
    ],
    ['GitHub token', 'git clone https://ghp_0123456789abcdefghijABCDEFGHIJ0123@github.com/x', 'ghp_0123'],
  ];
  for (const [what, input, secret] of cases) {
    test(`masks ${what}`, () => {
      const out = maskSecretsInText(input);
      assert.ok(!out.includes(secret), `${secret} survived: ${out}`);
      assert.ok(out.includes(maskedValue), out);
    });
  }

  test('keeps the name, the quotes and the rest of the text', () => {
    assert.equal(maskSecretsInText('password=hunter2 user=bob'), 'password=*** user=bob');
    assert.equal(
      maskSecretsInText('{"password": "x y", "user": "bob"}'),
      '{"password": "***", "user": "bob"}',
    );
    assert.equal(maskSecretsInText('postgres://app:hunter2@db/x'), 'postgres://app:***@db/x');
    assert.equal(
      maskSecretsInText('aws secretsmanager create-secret --secret-string hunter2 --region us-east-1'),
      'aws secretsmanager create-secret --secret-string *** --region us-east-1',
    );
  });

  test('leaves normal AWS output readable: ids, ARNs, S3 keys, secret names, pagination, flags', () => {
    const normal = [
      '{"Key": "photos/2024/a.jpg", "Size": 1024}',
      '{"SecretId": "prod/db", "Name": "prod/db", "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"}',
      '"Action": "secretsmanager:GetSecretValue"',
      '{"NextToken": "abc", "PasswordLastUsed": "2024-01-01T00:00:00Z", "KeyName": "ops"}',
      'AllowUsersToChangePassword: true',
      'aws ec2 describe-instances --instance-ids i-0abcd1234efgh5678 --key-name ops --region us-east-1',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b',
      'arn:aws:iam::123456789012:role/service-role/token-refresher',
      'list my ec2 instances in us-east-1',
      'https://example.com/path?page=2&sort=name',
      'the password policy requires 14 characters',
      'buildah login --username ci --password-stdin registry.local:5000',
    ];
    for (const text of normal) assert.equal(maskSecretsInText(text), text);
  });

  test('stays linear on hostile input (a regression: a name pattern once took 170 s on 800 KB)', () => {
    const hostile = [
      'password'.repeat(100_000),
      'a'.repeat(1_000_000),
      `token=${'"\\'.repeat(200_000)}`,
      `a://${':'.repeat(500_000)}`,
      '--x '.repeat(100_000),
      `Name=a,Values=${'x,'.repeat(100_000)}`,
    ];
    for (const text of hostile) {
      const started = performance.now();
      maskSecretsInText(text);
      const ms = performance.now() - started;
      assert.ok(ms < 2000, `${text.slice(0, 12)}… took ${ms.toFixed(0)} ms`);
    }
  });
});
