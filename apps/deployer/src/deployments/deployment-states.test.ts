import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCanMove, canMove, deploymentStates, isFinalState } from './deployment-states.ts';

test('moves one step forward along the pipeline and nowhere backwards', () => {
  const path = [
    'Initialized',
    'Validating',
    'Preparing',
    'Building',
    'Deploying',
    'Testing',
    'Monitoring',
    'Stable',
  ] as const;
  for (let i = 0; i + 1 < path.length; i += 1)
    assert.ok(canMove(path[i]!, path[i + 1]!), `${path[i]} → ${path[i + 1]}`);
  assert.equal(canMove('Testing', 'Building'), false);
  assert.equal(canMove('Building', 'Testing'), false);
});

test('sends any running state to Rollback, and Rollback only to RolledBack or Failed', () => {
  for (const s of ['Validating', 'Building', 'Deploying', 'Testing', 'Monitoring'] as const)
    assert.ok(canMove(s, 'Rollback'));
  assert.ok(canMove('Rollback', 'RolledBack'));
  assert.ok(canMove('Rollback', 'Failed'));
  assert.equal(canMove('Rollback', 'Stable'), false);
});

test('never leaves a final state', () => {
  for (const from of deploymentStates.filter(isFinalState)) {
    for (const to of deploymentStates) assert.equal(canMove(from, to), false, `${from} → ${to}`);
  }
  assert.throws(() => assertCanMove('Stable', 'Rollback'), /cannot move from Stable to Rollback/);
});
