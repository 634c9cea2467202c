import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '@ashapp/platform';
import { parseEncryptionKey, readGatewayConfig } from '../config.ts';
import { createCredentialCipher } from './credential-cipher.ts';

const secretText = JSON.stringify({
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
});

describe('credential encryption (AES-256-GCM)', () => {
  test('round-trips a value and never stores it in clear', () => {
    const cipher = createCredentialCipher(randomBytes(32));
    const sealed = cipher.seal(secretText, 'session-1');
    assert.doesNotMatch(sealed, /wJalrXUtnFEMI|AKIAIOSFODNN7EXAMPLE/);
    assert.equal(cipher.open(sealed, 'session-1'), secretText);
    // A fresh IV each time: the same value never seals to the same text.
    assert.notEqual(cipher.seal(secretText, 'session-1'), sealed);
  });

  test('detects tampering, another owner and another key', () => {
    const key = randomBytes(32);
    const cipher = createCredentialCipher(key);
    const sealed = cipher.seal(secretText, 'session-1');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    assert.throws(() => cipher.open(`v1.${raw.toString('base64url')}`, 'session-1'));
    assert.throws(() => cipher.open(sealed, 'session-2'));
    assert.throws(() => createCredentialCipher(randomBytes(32)).open(sealed, 'session-1'));
    assert.throws(() => cipher.open('v1.AAAA', 'session-1'));
    assert.throws(() => cipher.open('v2.whatever', 'session-1'));
  });

  test('takes the key from SESSION_ENCRYPTION_KEY as hex or base64, and rejects a wrong length', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseEncryptionKey(key.toString('hex'), 'k'), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64'), 'k'), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64url'), 'k'), key);
    assert.throws(() => parseEncryptionKey(randomBytes(16).toString('hex'), 'k'), ConfigError);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-gw-key-'));
    try {
      const config = readGatewayConfig({
        ASHAPP_DATA_DIR: dataDir,
        SESSION_ENCRYPTION_KEY: key.toString('hex'),
      });
      assert.deepEqual(config.sessionEncryptionKey, key);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('generates a key once in the data folder when none is configured, and keeps it', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-gw-key-'));
    try {
      const first = readGatewayConfig({ ASHAPP_DATA_DIR: dataDir });
      const second = readGatewayConfig({ ASHAPP_DATA_DIR: dataDir });
      assert.equal(first.sessionEncryptionKey.length, 32);
      assert.deepEqual(second.sessionEncryptionKey, first.sessionEncryptionKey);
      const file = readFileSync(path.join(dataDir, 'session-encryption-key'), 'utf8');
      assert.deepEqual(parseEncryptionKey(file, 'file'), first.sessionEncryptionKey);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
