import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSecretBox } from './secret-box.ts';

const secretText = JSON.stringify({
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
});

describe('credential encryption (AES-256-GCM)', () => {
  test('round-trips a value and never stores it in clear', () => {
    const cipher = createSecretBox(randomBytes(32));
    const sealed = cipher.seal(secretText, 'session-1');
    assert.doesNotMatch(sealed, /wJalrXUtnFEMI|AKIAIOSFODNN7EXAMPLE/);
    assert.equal(cipher.open(sealed, 'session-1'), secretText);
    // A fresh IV each time: the same value never seals to the same text.
    assert.notEqual(cipher.seal(secretText, 'session-1'), sealed);
  });

  test('detects tampering, another owner and another key', () => {
    const key = randomBytes(32);
    const cipher = createSecretBox(key);
    const sealed = cipher.seal(secretText, 'session-1');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    assert.throws(() => cipher.open(`v1.${raw.toString('base64url')}`, 'session-1'));
    assert.throws(() => cipher.open(sealed, 'session-2'));
    assert.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'session-1'));
    assert.throws(() => cipher.open('v1.AAAA', 'session-1'));
    assert.throws(() => cipher.open('v2.whatever', 'session-1'));
  });
});
