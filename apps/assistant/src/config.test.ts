import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAssistantConfig } from './config.ts';

const base = { INTERNAL_AUTH_SECRET: 'x'.repeat(43) };

describe('assistant configuration: the executor', () => {
  test('defaults to the warm pool with the CLI as fallback, two workers, the CLI’s own Python', () => {
    const config = readAssistantConfig(base);
    assert.equal(config.executor, 'auto');
    assert.equal(config.executorWorkers, 2);
    assert.equal(config.executorPython, undefined);
  });

  test('reads ASSISTANT_EXECUTOR, ASSISTANT_EXECUTOR_WORKERS and ASSISTANT_EXECUTOR_PYTHON', () => {
    const config = readAssistantConfig({
      ...base,
      ASSISTANT_EXECUTOR: 'cli',
      ASSISTANT_EXECUTOR_WORKERS: '4',
      ASSISTANT_EXECUTOR_PYTHON: '/usr/bin/python3',
    });
    assert.equal(config.executor, 'cli');
    assert.equal(config.executorWorkers, 4);
    assert.equal(config.executorPython, '/usr/bin/python3');
  });

  test('refuses an unknown mode, a pool outside 1–32 and a relative Python path, naming the variable', () => {
    assert.throws(() => readAssistantConfig({ ...base, ASSISTANT_EXECUTOR: 'fast' }), /ASSISTANT_EXECUTOR/);
    assert.throws(
      () => readAssistantConfig({ ...base, ASSISTANT_EXECUTOR_WORKERS: '0' }),
      /ASSISTANT_EXECUTOR_WORKERS/,
    );
    assert.throws(
      () => readAssistantConfig({ ...base, ASSISTANT_EXECUTOR_WORKERS: '33' }),
      /ASSISTANT_EXECUTOR_WORKERS/,
    );
    assert.throws(
      () => readAssistantConfig({ ...base, ASSISTANT_EXECUTOR_PYTHON: 'python3' }),
      /ASSISTANT_EXECUTOR_PYTHON/,
    );
  });
});
