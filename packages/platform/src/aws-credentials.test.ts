import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAwsCredentials, sealAwsCredentials } from './aws-credentials.ts';

const secret = 'i'.repeat(43);
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'eu-west-1',
};

test('hands credentials to a service for one request only, sealed', () => {
  const sealed = sealAwsCredentials(credentials, secret, 'req-1');
  assert.doesNotMatch(sealed, /AKIA|wJalr/);
  assert.deepEqual(openAwsCredentials(sealed, secret, 'req-1'), credentials);
  assert.throws(() => openAwsCredentials(sealed, secret, 'req-2'), /sign in again/);
  assert.throws(() => openAwsCredentials(sealed, 'j'.repeat(43), 'req-1'), /sign in again/);
  assert.throws(() => openAwsCredentials(undefined, secret, 'req-1'), /sign in again/);
});
