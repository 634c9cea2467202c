import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '@ashapp/platform';
import { matchCompoundRequest } from './compound-patterns.ts';

describe('compound request patterns', () => {
  test('recognises EC2 changes by tag, with the state each verb implies', () => {
    const cases: [string, string, string[], string, string][] = [
      ['stop all running instances tagged env=dev', 'stop-instances', ['running'], 'env', 'dev'],
      ['Stop the instances tagged with team:data', 'stop-instances', ['running'], 'team', 'data'],
      ['start stopped ec2 instances with tag env=dev', 'start-instances', ['stopped'], 'env', 'dev'],
      ['reboot my instances with the tag Name=web-1', 'reboot-instances', ['running'], 'Name', 'web-1'],
      [
        'terminate all instances tagged env=scratch',
        'terminate-instances',
        ['pending', 'running', 'stopping', 'stopped'],
        'env',
        'scratch',
      ],
    ];
    for (const [query, operation, states, key, value] of cases) {
      const match = matchCompoundRequest(query);
      assert.ok(match, query);
      assert.equal(match.change({ id: 'i-1', label: '' }).operation, operation, query);
      assert.deepEqual(
        match.read.parameters['Filters'],
        [
          { Name: `tag:${key}`, Values: [value] },
          { Name: 'instance-state-name', Values: states },
        ],
        query,
      );
    }
  });

  test('recognises deleting empty log groups by prefix', () => {
    for (const query of [
      'delete the empty log groups under /aws/lambda/',
      'remove empty cloudwatch log groups with prefix /aws/lambda/',
      'delete all empty log groups starting with /aws/lambda/',
    ]) {
      const match = matchCompoundRequest(query);
      assert.ok(match, query);
      assert.deepEqual(match.read.parameters, { logGroupNamePrefix: '/aws/lambda/' });
    }
  });

  test('selects only what the condition names, whatever else the read returns', () => {
    const ec2 = matchCompoundRequest('stop all running instances tagged env=dev');
    assert.ok(ec2);
    const instance = (id: string, state: string, env: string) => ({
      InstanceId: id,
      State: { Name: state },
      Tags: [{ Key: 'env', Value: env }],
    });
    // A lax endpoint ignoring the filters cannot widen the set.
    const targets = ec2.select({
      Reservations: [
        { Instances: [instance('i-1', 'running', 'dev'), instance('i-2', 'stopped', 'dev')] },
        { Instances: [instance('i-3', 'running', 'prod')] },
      ],
    });
    assert.deepEqual(
      targets.map((x) => x.id),
      ['i-1'],
    );
    const logs = matchCompoundRequest('delete the empty log groups under /aws/lambda/');
    assert.ok(logs);
    assert.deepEqual(
      logs
        .select({
          logGroups: [
            { logGroupName: '/aws/lambda/a', storedBytes: 0 },
            { logGroupName: '/aws/lambda/b', storedBytes: 12 },
            { logGroupName: '/aws/lambda/c' },
            { logGroupName: '/ecs/d', storedBytes: 0 },
          ],
        })
        .map((x) => x.id),
      ['/aws/lambda/a'],
    );
  });

  test('leaves other requests to the planners', () => {
    for (const query of [
      'stop instance i-0a1b2c3d4e5f60001',
      'list ec2 instances tagged env=dev',
      'delete log group /aws/lambda/a',
      'delete the log groups under /aws/lambda/',
      'aws ec2 stop-instances --instance-ids i-1',
    ]) {
      assert.equal(matchCompoundRequest(query), undefined, query);
    }
  });

  test('refuses a tag or prefix it cannot pass on safely', () => {
    assert.throws(() => matchCompoundRequest('stop instances tagged env=$(reboot)'), InputError);
    assert.throws(() => matchCompoundRequest('delete the empty log groups under /aws/*'), InputError);
  });
});
