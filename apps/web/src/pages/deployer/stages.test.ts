import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStages, isFinalState } from './stages.ts';

const statuses = (seen: string[]) => describeStages(seen).map((stage) => `${stage.name}:${stage.status}`);

describe('describeStages', () => {
  test('marks earlier stages done and the current one active', () => {
    const view = statuses(['Initialized', 'Validating', 'Preparing', 'Building']);
    assert.deepEqual(view.slice(0, 5), [
      'Initialized:done',
      'Validating:done',
      'Preparing:done',
      'Building:active',
      'Deploying:pending',
    ]);
  });

  test('marks every stage done once Stable', () => {
    assert.ok(describeStages(['Initialized', 'Stable']).every((stage) => stage.status === 'done'));
  });

  test('on failure marks the stage reached failed, skips the rest and shows the rollback', () => {
    const view = statuses([
      'Initialized',
      'Validating',
      'Preparing',
      'Building',
      'Deploying',
      'Rollback',
      'RolledBack',
    ]);
    assert.ok(view.includes('Deploying:failed'));
    assert.ok(view.includes('Testing:skipped'));
    assert.deepEqual(view.slice(-2), ['Rollback:done', 'RolledBack:done']);
  });

  test('accepts other spellings of the same state', () => {
    const view = statuses(['BUILDING', 'rolled_back']);
    assert.ok(view.includes('Building:failed'));
    assert.equal(view.at(-1), 'RolledBack:done');
  });

  test('starts with every stage pending', () => {
    assert.ok(describeStages([]).every((stage) => stage.status === 'pending'));
  });
});

describe('isFinalState', () => {
  test('knows Stable and RolledBack end a deployment', () => {
    assert.equal(isFinalState('Stable'), true);
    assert.equal(isFinalState('RolledBack'), true);
    assert.equal(isFinalState('Building'), false);
  });
});
