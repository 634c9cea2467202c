import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nestsDeeperThan } from './user-events.ts';

describe("a user's own audit event: nesting depth", () => {
  test('finds nesting past the limit in arrays and objects without recursing (regression: a 20,000-deep event answered 500)', () => {
    const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000)) as unknown;
    assert.equal(nestsDeeperThan({ request_data: deep }, 64), true);
    const deepObject = JSON.parse('{"a":'.repeat(100) + '1' + '}'.repeat(100)) as unknown;
    assert.equal(nestsDeeperThan(deepObject, 64), true);
  });

  test('lets ordinary events through', () => {
    assert.equal(nestsDeeperThan({ service: 'web', request_data: { a: [1, { b: 'c' }] } }, 64), false);
    assert.equal(nestsDeeperThan('text', 64), false);
    const exactly = JSON.parse('['.repeat(64) + ']'.repeat(64)) as unknown;
    assert.equal(nestsDeeperThan(exactly, 64), false);
  });
});
