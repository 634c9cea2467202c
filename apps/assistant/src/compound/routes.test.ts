import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StandInInstance } from '@ashapp/aws-stand-in';
import { startTestAssistant, type TestAssistant } from '../../test/harness.ts';

const instance = (
  n: number,
  state: StandInInstance['state'],
  env: string,
  name = `node-${n}`,
): StandInInstance => ({
  instanceId: `i-0c0c0c0c0c0c0000${n}`,
  state,
  name,
  instanceType: 't3.micro',
  tags: { env },
});

describe('compound requests through /api/ask and /api/confirm (stand-in)', () => {
  let t: TestAssistant;
  before(async () => {
    t = await startTestAssistant({
      standIn: {
        users: [],
        instances: [
          instance(1, 'running', 'dev'),
          instance(2, 'running', 'dev'),
          instance(3, 'stopped', 'dev'),
          instance(4, 'running', 'prod'),
          instance(5, 'running', 'dev'),
        ],
        logGroups: [
          { name: '/aws/lambda/empty-a', storedBytes: 0 },
          { name: '/aws/lambda/empty-b', storedBytes: 0 },
          { name: '/aws/lambda/busy', storedBytes: 5120 },
          { name: '/ecs/empty', storedBytes: 0 },
          ...Array.from({ length: 60 }, (_, i) => ({
            name: `/aws/lambda/paged-${String(i).padStart(2, '0')}`,
            storedBytes: i === 59 ? 0 : 10,
          })),
        ],
      },
    });
  });
  after(async () => t.close());

  const post = (url: string, payload: unknown, headers = t.headers()) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const stateOf = (id: string) => t.standIn.instances.find((i) => i.instanceId === id)?.state;

  test('stand-in: "stop all running instances tagged env=dev" shows the read and each stop, runs nothing, and Accept stops exactly those', async () => {
    const ask = await post('/api/ask', { query: 'stop all running instances tagged env=dev' });
    assert.equal(ask.statusCode, 200, ask.body);
    const body = ask.json();
    assert.equal(body.confirmation_needed, true);
    assert.equal(body.read_only, false);
    assert.equal(body.planner, 'compound');
    assert.equal(body.compound.pattern, 'ec2-instances-by-tag');
    assert.equal(body.compound.action, 'ec2:StopInstances');
    assert.match(body.compound.read.command, /^aws ec2 describe-instances --filters/);
    assert.equal(body.compound.read.result.json.Reservations.length, 3, 'the read result is shown in full');
    assert.deepEqual(
      body.compound.targets.map((x: { id: string }) => x.id),
      ['i-0c0c0c0c0c0c00001', 'i-0c0c0c0c0c0c00002', 'i-0c0c0c0c0c0c00005'],
    );
    assert.deepEqual(body.compound.targets[0].plan, {
      service: 'ec2',
      operation: 'stop-instances',
      parameters: { InstanceIds: ['i-0c0c0c0c0c0c00001'] },
      region: 'us-east-1',
    });
    assert.match(
      body.compound.targets[0].command,
      /^aws ec2 stop-instances --instance-ids i-0c0c0c0c0c0c00001/,
    );
    assert.match(body.compound.digest, /^[0-9a-f]{64}$/);
    assert.match(body.output, /3 resources match/);
    assert.equal(t.callsOf('StopInstances'), 0, 'nothing changed before Accept');

    const accept = await post('/api/confirm', { confirmation_id: body.confirmation_id, decision: 'accept' });
    assert.equal(accept.statusCode, 200, accept.body);
    const done = accept.json();
    assert.equal(done.status, 'accepted');
    assert.deepEqual(
      done.compound.outcomes.map((o: { id: string; status: string }) => [o.id, o.status]),
      [
        ['i-0c0c0c0c0c0c00001', 'done'],
        ['i-0c0c0c0c0c0c00002', 'done'],
        ['i-0c0c0c0c0c0c00005', 'done'],
      ],
    );
    assert.equal(t.callsOf('StopInstances'), 3);
    for (const n of [1, 2, 5]) assert.equal(stateOf(`i-0c0c0c0c0c0c0000${n}`), 'stopped');
    assert.equal(stateOf('i-0c0c0c0c0c0c00004'), 'running', 'prod is untouched');

    const replay = await post('/api/confirm', { confirmation_id: body.confirmation_id, decision: 'accept' });
    assert.equal(replay.statusCode, 409);
    assert.equal(t.callsOf('StopInstances'), 3);
    const actions = (await t.auditEvents()).map((e) => e.action_type);
    for (const a of ['assistant.confirmation_requested', 'assistant.accept', 'assistant.compound_result'])
      assert.ok(actions.includes(a), a);
  });

  test('stand-in: the confirmation is bound to the resolved targets: a new match is left alone, a target that stopped matching is skipped', async () => {
    // Everything dev is stopped now; start them again through a compound request of its own.
    const ask = await post('/api/ask', { query: 'start the stopped instances tagged env=dev' });
    assert.equal(ask.statusCode, 200, ask.body);
    const pending = ask.json();
    const bound = pending.compound.targets.map((x: { id: string }) => x.id);
    assert.deepEqual(bound, [
      'i-0c0c0c0c0c0c00001',
      'i-0c0c0c0c0c0c00002',
      'i-0c0c0c0c0c0c00003',
      'i-0c0c0c0c0c0c00005',
    ]);

    // The account changes between the ask and the Accept.
    t.standIn.instances.push(instance(6, 'stopped', 'dev', 'late-arrival'));
    const retagged = t.standIn.instances.find((i) => i.instanceId === 'i-0c0c0c0c0c0c00002');
    assert.ok(retagged);
    retagged.tags = { env: 'prod' };

    const startsBefore = t.callsOf('StartInstances');
    const accept = await post('/api/confirm', {
      confirmation_id: pending.confirmation_id,
      decision: 'accept',
    });
    assert.equal(accept.statusCode, 200, accept.body);
    const done = accept.json();
    assert.deepEqual(
      done.compound.outcomes.map((o: { id: string; status: string }) => [o.id, o.status]),
      [
        ['i-0c0c0c0c0c0c00001', 'done'],
        ['i-0c0c0c0c0c0c00002', 'skipped'],
        ['i-0c0c0c0c0c0c00003', 'done'],
        ['i-0c0c0c0c0c0c00005', 'done'],
      ],
    );
    assert.deepEqual(
      done.compound.appeared.map((x: { id: string }) => x.id),
      ['i-0c0c0c0c0c0c00006'],
    );
    assert.equal(t.callsOf('StartInstances'), startsBefore + 3);
    assert.equal(stateOf('i-0c0c0c0c0c0c00006'), 'stopped', 'not in the confirmation: not started');
    assert.equal(stateOf('i-0c0c0c0c0c0c00002'), 'stopped', 'no longer matches: not started');
    assert.match(done.output, /Not changed \(not in the confirmation\): i-0c0c0c0c0c0c00006/);
  });

  test('stand-in: "delete the empty log groups under /aws/lambda/" reads every page and deletes only the empty ones under the prefix', async () => {
    const ask = await post('/api/ask', { query: 'delete the empty log groups under /aws/lambda/' });
    assert.equal(ask.statusCode, 200, ask.body);
    const pending = ask.json();
    assert.equal(pending.compound.pattern, 'empty-log-groups-by-prefix');
    assert.deepEqual(
      pending.compound.targets.map((x: { id: string }) => x.id),
      ['/aws/lambda/empty-a', '/aws/lambda/empty-b', '/aws/lambda/paged-59'],
    );
    assert.equal(pending.compound.read.result.json.logGroups.length, 63, 'all pages of the read');
    assert.match(
      pending.compound.targets[0].command,
      /^aws logs delete-log-group --log-group-name \/aws\/lambda\/empty-a/,
    );
    assert.equal(t.callsOf('DeleteLogGroup'), 0);

    const accept = await post('/api/confirm', {
      query: 'delete the empty log groups under /aws/lambda/',
      decision: 'yes',
    });
    assert.equal(accept.statusCode, 200, accept.body);
    assert.equal(t.callsOf('DeleteLogGroup'), 3);
    const left = t.standIn.logGroups();
    for (const gone of ['/aws/lambda/empty-a', '/aws/lambda/empty-b', '/aws/lambda/paged-59'])
      assert.ok(!left.includes(gone), gone);
    for (const kept of ['/aws/lambda/busy', '/ecs/empty', '/aws/lambda/paged-00'])
      assert.ok(left.includes(kept), kept);
  });

  test('stand-in: /api/plan shows the read step of a compound request and runs nothing', async () => {
    const before = t.standIn.calls.length;
    const res = await post('/api/plan', { query: 'stop all running instances tagged env=dev' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.planner, 'compound');
    assert.equal(body.read_only, false);
    assert.equal(body.plan.operation, 'describe-instances');
    assert.match(body.command, /^aws ec2 describe-instances --filters/);
    assert.equal(t.standIn.calls.length, before);
  });

  test('stand-in: nothing matching needs no confirmation and changes nothing', async () => {
    const ask = await post('/api/ask', { query: 'stop all running instances tagged env=staging' });
    assert.equal(ask.statusCode, 200, ask.body);
    const body = ask.json();
    assert.equal(body.confirmation_needed, false);
    assert.equal(body.confirmation_id, undefined);
    assert.deepEqual(body.compound.targets, []);
    assert.match(body.output, /nothing matches/);
  });

  test('stand-in: Decline runs nothing', async () => {
    const ask = await post('/api/ask', { query: 'reboot instances tagged env=prod' });
    const pending = ask.json();
    // Only the running prod instance: the one re-tagged prod above is stopped.
    assert.deepEqual(
      pending.compound.targets.map((x: { id: string }) => x.id),
      ['i-0c0c0c0c0c0c00004'],
    );
    const decline = await post('/api/confirm', { confirmation_id: pending.confirmation_id, decision: 'no' });
    assert.equal(decline.statusCode, 200, decline.body);
    assert.equal(decline.json().status, 'declined');
    assert.equal(t.callsOf('RebootInstances'), 0);
  });

  test('stand-in: another session cannot accept a compound confirmation', async () => {
    const ask = await post('/api/ask', { query: 'stop running instances tagged env=prod' });
    const pending = ask.json();
    const stolen = await post(
      '/api/confirm',
      { confirmation_id: pending.confirmation_id, decision: 'accept' },
      t.headers('alice', { sessionId: 'another-session' }),
    );
    assert.equal(stolen.statusCode, 403);
    assert.equal(t.callsOf('StopInstances'), 3, 'only the stops of the first test');
  });
});

describe('compound requests and the safety rules (stand-in)', () => {
  let t: TestAssistant;
  before(async () => {
    t = await startTestAssistant({
      rules: [
        {
          effect: 'deny',
          actions: ['ec2:TerminateInstances'],
          reason: 'terminations go through change review',
        },
      ],
    });
  });
  after(async () => t.close());

  test('stand-in: a denied change is refused with 403 before the read, and nothing runs', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/ask',
      payload: { query: 'terminate all instances tagged Env=dev' },
      headers: t.headers(),
    });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(t.callsOf('DescribeInstances'), 0);
    assert.equal(t.callsOf('TerminateInstances'), 0);
  });
});
