import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDryRun, describeRisk, formatRemaining } from './describe-request.ts';

describe('how the Assistant describes a request', () => {
  test('asks about a secret read as a read of a secret, not as a change', () => {
    assert.equal(describeRisk('secret', false)?.badge, 'reads a secret');
    assert.equal(describeRisk('secret', false)?.question, 'This request reads a secret. Show it?');
  });

  test('falls back to read-only or changes when the assistant gives no risk, and to nothing without either', () => {
    assert.equal(describeRisk(undefined, true)?.badge, 'read-only');
    assert.equal(describeRisk(undefined, false)?.badge, 'changes resources');
    assert.equal(describeRisk(undefined, undefined), undefined);
  });

  test('reads every shape of dry-run verdict', () => {
    assert.deepEqual(describeDryRun('DryRunOperation'), { text: 'DryRunOperation', ok: undefined });
    const verdict = { ok: false, would_succeed: false, code: '', message: '', verdict: '' };
    assert.deepEqual(describeDryRun(verdict), { text: 'The request would fail.', ok: false });
    assert.deepEqual(describeDryRun({ ...verdict, code: 'UnauthorizedOperation' }), {
      text: 'UnauthorizedOperation',
      ok: false,
    });
    assert.deepEqual(describeDryRun({ ...verdict, ok: true, would_succeed: true, message: 'Fine.' }), {
      text: 'Fine.',
      ok: true,
    });
  });

  test('counts down in minutes and seconds and stops at zero', () => {
    assert.equal(formatRemaining(299_001), '5:00');
    assert.equal(formatRemaining(61_000), '1:01');
    assert.equal(formatRemaining(-5), '0:00');
  });
});
