import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Type } from 'typebox';
import { ConfigError, describeConfig, readBaseServiceConfig, readEnv, secret } from './config.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-config-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('configuration', () => {
  test('converts, defaults and freezes; reports every problem at once', () => {
    const schema = Type.Object({
      PORT: Type.Integer({ default: 1 }),
      FLAG: Type.Boolean({ default: false }),
      NAME: Type.String(),
    });
    const config = readEnv(schema, { PORT: '8080', FLAG: 'true', NAME: 'x', UNRELATED: 'y' });
    assert.deepEqual({ ...config }, { PORT: 8080, FLAG: true, NAME: 'x' });
    assert.ok(Object.isFrozen(config));
    assert.throws(
      () => readEnv(schema, { PORT: 'eighty' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT/);
        assert.match(err.message, /NAME/);
        return true;
      },
    );
  });

  test('shows secret fields as [secret] when described for logs', () => {
    const schema = Type.Object({ KEY: secret(Type.String()), HOST: Type.String() });
    assert.deepEqual(describeConfig(schema, readEnv(schema, { KEY: 'hunter2', HOST: 'h' })), {
      KEY: '[secret]',
      HOST: 'h',
    });
  });

  test('reads the shared service settings with per-service names and defaults', () => {
    const config = readBaseServiceConfig('history', {
      HISTORY_PORT: '9999',
      ASHAPP_DATA_DIR: dataDir,
      MONITOR_URL: 'http://monitor:8084/',
    });
    assert.equal(config.port, 9999);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, `file:${path.join(dataDir, 'history.sqlite')}`);
    assert.equal(config.serviceUrls.monitor, 'http://monitor:8084');
    assert.equal(config.serviceUrls.gateway, 'http://127.0.0.1:8080');
    const withOwnDb = readBaseServiceConfig('monitor', {
      ASHAPP_DATA_DIR: dataDir,
      MONITOR_DATABASE_URL: 'mysql://root@h/m',
      DATABASE_URL: 'postgres://x',
    });
    assert.equal(withOwnDb.databaseUrl, 'mysql://root@h/m');
  });

  test('generates the internal secret once, keeps it private in the data folder and shares it', () => {
    const a = readBaseServiceConfig('history', { ASHAPP_DATA_DIR: dataDir });
    const b = readBaseServiceConfig('monitor', { ASHAPP_DATA_DIR: dataDir });
    assert.equal(a.internalAuthSecret, b.internalAuthSecret);
    const file = path.join(dataDir, 'internal-auth-secret');
    assert.equal(readFileSync(file, 'utf8'), a.internalAuthSecret);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.throws(
      () => readBaseServiceConfig('history', { ASHAPP_DATA_DIR: dataDir, INTERNAL_AUTH_SECRET: 'short' }),
      ConfigError,
    );
  });
});
