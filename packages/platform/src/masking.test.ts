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
