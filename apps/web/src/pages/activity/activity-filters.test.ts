import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_FILTER_FORM, mergeChoices, toFilters } from './activity-filters.ts';

describe('the Activity filters', () => {
  test('leave out empty fields and trim the rest', () => {
    const filters = toFilters({ ...EMPTY_FILTER_FORM, endpoint: ' /api/ask ', q: '  ' }, false);
    assert.deepEqual(JSON.parse(JSON.stringify(filters)), { endpoint: '/api/ask' });
  });

  test('send the user filter only for admins', () => {
    const form = { ...EMPTY_FILTER_FORM, user_id: 'alice' };
    assert.equal(toFilters(form, false).user_id, undefined);
    assert.equal(toFilters(form, true).user_id, 'alice');
  });

  test('count a relative range back from now, and send a custom range as ISO times', () => {
    const now = Date.parse('2026-01-02T12:00:00Z');
    assert.equal(
      toFilters({ ...EMPTY_FILTER_FORM, range: '1h' }, false, now).from,
      '2026-01-02T11:00:00.000Z',
    );
    const custom = toFilters(
      { ...EMPTY_FILTER_FORM, range: 'custom', from: '2026-01-01T08:00', to: 'not a time' },
      false,
      now,
    );
    assert.equal(custom.from, new Date('2026-01-01T08:00').toISOString());
    assert.equal(custom.to, undefined);
  });

  test('offer known and counted names once each, sorted', () => {
    assert.deepEqual(mergeChoices(['monitor', 'gateway'], ['gateway', 'billing', '']), [
      'billing',
      'gateway',
      'monitor',
    ]);
  });
});
