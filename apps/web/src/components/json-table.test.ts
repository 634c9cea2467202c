import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compactValue, isNestedValue, toJsonTable, tryParseJson } from './json-table.ts';

describe('toJsonTable', () => {
  test('turns an array of objects into rows with the union of keys as columns', () => {
    const table = toJsonTable([
      { Name: 'a', Size: 1 },
      { Name: 'b', Region: 'eu-west-1' },
    ]);
    assert.deepEqual(table?.columns, ['Name', 'Size', 'Region']);
    assert.deepEqual(table?.rows, [
      ['a', '1', ''],
      ['b', '', 'eu-west-1'],
    ]);
  });

  test('picks the collection inside an object and keeps the other fields as extras', () => {
    const table = toJsonTable({ Buckets: [{ Name: 'logs' }], Owner: { DisplayName: 'me', ID: 'abc' } });
    assert.equal(table?.title, 'Buckets');
    assert.deepEqual(table?.rows, [['logs']]);
    assert.deepEqual(table?.extras, [
      ['Owner.DisplayName', 'me'],
      ['Owner.ID', 'abc'],
    ]);
  });

  test('flattens EC2 reservations into their instances', () => {
    const table = toJsonTable({
      Reservations: [
        {
          ReservationId: 'r-1',
          Groups: [],
          Instances: [{ InstanceId: 'i-1', Tags: [{ Key: 'Name', Value: 'web' }] }],
        },
        { ReservationId: 'r-2', Groups: [], Instances: [{ InstanceId: 'i-2' }, { InstanceId: 'i-3' }] },
      ],
    });
    assert.equal(table?.title, 'Reservations[].Instances');
    assert.deepEqual(table?.columns, ['InstanceId', 'Tags']);
    assert.deepEqual(table?.rows, [
      ['i-1', 'Name=web'],
      ['i-2', ''],
      ['i-3', ''],
    ]);
  });

  test('shows a list of strings as one column', () => {
    assert.deepEqual(toJsonTable(['i-1', 'i-2'])?.rows, [['i-1'], ['i-2']]);
  });

  test('shows a single object as field/value rows', () => {
    const table = toJsonTable({ UserId: 'AID', Account: '123', Arn: 'arn:aws:iam::123:user/me' });
    assert.deepEqual(table?.columns, ['Field', 'Value']);
    assert.equal(table?.rows.length, 3);
  });

  test('answers undefined for a scalar', () => {
    assert.equal(toJsonTable('text'), undefined);
  });
});

describe('compactValue', () => {
  test('truncates long nested values with an ellipsis', () => {
    const text = compactValue({ long: 'x'.repeat(400) }, 20);
    assert.equal(text.length, 20);
    assert.ok(text.endsWith('…'));
  });
});

describe('tryParseJson', () => {
  test('parses JSON text and ignores plain text', () => {
    assert.deepEqual(tryParseJson(' [1] '), [1]);
    assert.equal(tryParseJson('i-1 i-2'), undefined);
    assert.equal(tryParseJson('{broken'), undefined);
  });
});

describe('nested values', () => {
  test('keeps the whole value behind each compacted cell, so nested objects can be opened', () => {
    const table = toJsonTable({
      Functions: [{ FunctionName: 'a', Environment: { Variables: { STAGE: 'dev', REGION: 'eu-west-1' } } }],
    });
    assert.ok(table);
    const column = table.columns.indexOf('Environment');
    assert.deepEqual(table.raw[0]?.[column], { Variables: { STAGE: 'dev', REGION: 'eu-west-1' } });
    assert.ok(isNestedValue(table.raw[0]?.[column]));
    assert.equal(isNestedValue(table.raw[0]?.[table.columns.indexOf('FunctionName')]), false);
  });

  test('treats tag lists and lists of scalars as flat, lists of objects as nested', () => {
    assert.equal(isNestedValue([{ Key: 'env', Value: 'dev' }]), false);
    assert.equal(isNestedValue(['a', 'b']), false);
    assert.equal(isNestedValue([{ GroupId: 'sg-1', GroupName: 'web' }]), true);
    assert.equal(isNestedValue({}), false);
  });
});

describe('EC2 instances', () => {
  test('shows the instances as rows, not the Tags of the last level (regression: a Tags table instead of instances)', () => {
    const table = toJsonTable({
      Reservations: [
        {
          ReservationId: 'r-1',
          OwnerId: '111122223333',
          Groups: [],
          Instances: [
            {
              InstanceId: 'i-1',
              InstanceType: 't3.micro',
              State: { Code: 16, Name: 'running' },
              PrivateIpAddress: '10.0.0.1',
              ImageId: 'ami-1',
              LaunchTime: '2026-01-01T00:00:00Z',
              Tags: [{ Key: 'Name', Value: 'web-1' }],
            },
          ],
        },
      ],
    });
    assert.ok(table);
    assert.equal(table.title, 'Reservations[].Instances');
    assert.equal(table.rows.length, 1);
    assert.ok(table.columns.includes('InstanceId'));
    assert.equal(table.rows[0]?.[table.columns.indexOf('Tags')], 'Name=web-1');
  });
});
