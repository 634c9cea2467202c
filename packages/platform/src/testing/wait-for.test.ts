import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from './wait-for.ts';

describe('waitFor (polling helper of the tests)', () => {
  test('returns the first value that is neither undefined nor false, after as many checks as it took', async () => {
    let calls = 0;
    const value = await waitFor('the third check', () => (++calls === 3 ? { calls } : false), {
      intervalMs: 1,
    });
    assert.deepEqual(value, { calls: 3 });
    assert.equal(calls, 3);
  });

  test('gives up after the timeout, naming what it waited for', async () => {
    const started = Date.now();
    await assert.rejects(
      waitFor('a value that never comes', async () => undefined, { timeoutMs: 50, intervalMs: 5 }),
      /timed out after 50 ms waiting for a value that never comes$/,
    );
    assert.ok(Date.now() - started >= 50);
  });

  test('a check that throws fails at once, unless errors are retried; then the last error is named', async () => {
    let calls = 0;
    const failing = () => {
      calls += 1;
      throw new Error('connection refused');
    };
    await assert.rejects(waitFor('a server', failing, { timeoutMs: 1000 }), /connection refused/);
    assert.equal(calls, 1);
    await assert.rejects(
      waitFor('a server', failing, { timeoutMs: 30, intervalMs: 5, retryErrors: true }),
      /waiting for a server: Error: connection refused$/,
    );
    assert.ok(calls > 2);
  });
});
