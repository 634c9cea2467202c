import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '@ashapp/platform';
import { parseEncryptionKey, readGatewayConfig } from './config.ts';

describe('session encryption key', () => {
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
