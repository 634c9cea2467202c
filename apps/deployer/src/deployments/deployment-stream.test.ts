import assert from 'node:assert/strict';
import { readIdentityHash } from '../targets/resource-names.ts';
import { after, before, describe, test } from 'node:test';
import {
  createFakeBuilder,
  createFakeTarget,
  helloCode,
  identityHeaders,
  startTestDeployer,
  users,
  type FakeBuilder,
  type FakeTarget,
  type TestDeployer,
} from '../../test/service-harness.ts';
import { readEventStream as readStream } from '../../test/sse.ts';

describe('deployment stream (server-sent events over a real listening server)', () => {
  let deployer: TestDeployer;
  let builder: FakeBuilder;
  let target: FakeTarget;
  let base = '';

  before(async () => {
    builder = createFakeBuilder();
    target = await createFakeTarget();
    deployer = await startTestDeployer({
      builder,
      target,
      config: { sseHeartbeatMs: 100, stabilityWindowMs: 50 },
    });
    base = await deployer.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await deployer?.close();
    await target?.close();
  });

  test('replays the stored events, then streams live ones, then done, and closes', async () => {
    builder.hold();
    const res = await fetch(`${base}/deployer-api/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders(users.alice) },
      body: JSON.stringify({ app_name: 'streamed', code: helloCode, namespace: 'default' }),
    });
    assert.equal(res.status, 202);
    const { deployment_id: id } = (await res.json()) as { deployment_id: string };
    for (let i = 0; i < 200 && builder.builds.length === 0; i += 1)
      await new Promise((r) => setTimeout(r, 20));
    // The viewer arrives while the build waits: what happened so far is replayed, the rest arrives live.
    let released = false;
    const result = await readStream(
      `${base}/deployer-api/deployments/${id}/stream`,
      identityHeaders(users.alice),
      (m) => {
        if (!released && m.event === 'log' && /FROM base/.test(String(m.data.line))) {
          released = true;
          setTimeout(() => builder.release(), 250);
        }
      },
    );
    assert.equal(result.status, 200);
    assert.match(result.contentType, /^text\/event-stream/);
    const states = result.messages.filter((m) => m.event === 'state').map((m) => m.data.state);
    assert.deepEqual(states, [
      'Initialized',
      'Validating',
      'Preparing',
      'Building',
      'Deploying',
      'Testing',
      'Monitoring',
      'Stable',
    ]);
    const stateEvent = result.messages.find((m) => m.event === 'state' && m.data.state === 'Deploying');
    assert.equal(stateEvent?.data.progress, 60);
    assert.match(String(stateEvent?.data.at), /^\d{4}-\d\d-\d\dT/);
    assert.ok(
      result.messages.some(
        (m) => m.event === 'log' && m.data.stage === 'Building' && /COMMIT/.test(String(m.data.line)),
      ),
      'a live log line',
    );
    const done = result.messages.at(-1);
    assert.equal(done?.event, 'done');
    assert.equal(done?.data.state, 'Stable');
    assert.match(String(done?.data.url), /^http:\/\/127\.0\.0\.1:/);
    assert.equal(
      done?.data.image,
      `localhost/ashapp/default-streamed-${readIdentityHash({ owner: users.alice, namespace: 'default', appName: 'streamed' })}:r1`,
    );
    assert.match(String(done?.data.manifest), /kind: Deployment/);
    assert.ok(result.comments >= 2, 'connected comment and heartbeats');
    const ids = result.messages.filter((m) => m.id !== undefined).map((m) => Number(m.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'ids ascend',
    );
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
  });

  test('a viewer arriving after the end gets the whole record replayed and done at once; Last-Event-ID resumes', async () => {
    const list = (await (
      await fetch(`${base}/deployer-api/deployments`, { headers: identityHeaders(users.alice) })
    ).json()) as { items: Array<{ id: string }> };
    const id = list.items[0]!.id;
    const whole = await readStream(
      `${base}/deployer-api/deployments/${id}/stream`,
      identityHeaders(users.alice),
      () => undefined,
    );
    assert.equal(whole.messages.filter((m) => m.event === 'state').length, 8);
    assert.equal(whole.messages.at(-1)?.event, 'done');
    const lastId = whole.messages.filter((m) => m.id !== undefined).at(-3)!.id!;
    const resumed = await readStream(
      `${base}/deployer-api/deployments/${id}/stream`,
      { ...identityHeaders(users.alice), 'last-event-id': lastId },
      () => undefined,
    );
    const expected = whole.messages.filter((m) => m.id === undefined || Number(m.id) > Number(lastId));
    assert.deepEqual(resumed.messages, expected, 'only what came after the last seen id, then done');
    assert.equal(expected.length, 3);
    const other = await fetch(`${base}/deployer-api/deployments/${id}/stream`, {
      headers: identityHeaders(users.bob),
    });
    assert.equal(other.status, 404, 'another user cannot watch it');
    await other.body?.cancel();
  });
});
