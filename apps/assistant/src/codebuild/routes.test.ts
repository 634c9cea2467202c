import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestAssistant, type TestAssistant } from '../../test/harness.ts';

describe('CodeBuild routes against the AWS stand-in (real SDK)', () => {
  let t: TestAssistant;
  before(async () => {
    t = await startTestAssistant();
  });
  after(async () => t.close());

  const body = {
    project_name: 'demo-app',
    source_location: 'https://github.com/example/demo-app',
    build_spec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n',
  };

  test('stand-in: the original POST /create-codebuild-project creates a project and is audited', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/create-codebuild-project',
      payload: body,
      headers: t.headers(),
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().project.name, 'demo-app');
    assert.equal(res.json().project.source_type, 'GITHUB');
    assert.ok((await t.auditEvents()).some((e) => e.action_type === 'codebuild.create_project'));
  });

  test('stand-in: start a build, list builds, read phases and logs in the shapes the web app reads', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/codebuild/projects',
      payload: { ...body, project_name: 'web-demo' },
      headers: t.headers(),
    });
    const started = await t.app.inject({
      method: 'POST',
      url: '/api/codebuild/projects/web-demo/builds',
      payload: {},
      headers: t.headers(),
    });
    assert.equal(started.statusCode, 201, started.body);
    const id = started.json().id as string;
    assert.match(id, /^web-demo:/);
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/codebuild/projects/web-demo/builds',
      headers: t.headers(),
    });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json().items.map((i: { id: string }) => i.id),
      [id],
    );
    const build = await t.app.inject({
      method: 'GET',
      url: `/api/codebuild/builds/${encodeURIComponent(id)}`,
      headers: t.headers(),
    });
    assert.equal(build.statusCode, 200, build.body);
    assert.equal(build.json().id, id);
    assert.ok(Array.isArray(build.json().phases));
    const logs = await t.app.inject({
      method: 'GET',
      url: `/api/codebuild/builds/${encodeURIComponent(id)}/logs`,
      headers: t.headers(),
    });
    assert.equal(logs.statusCode, 200, logs.body);
    assert.ok(Array.isArray(logs.json().lines));
  });

  test('refuses a file:// source with 400 and an unknown build with 404 as AWS said', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/codebuild/projects',
      payload: { ...body, source_location: 'file:///etc/passwd' },
      headers: t.headers(),
    });
    assert.equal(bad.statusCode, 400);
    const missing = await t.app.inject({
      method: 'GET',
      url: `/api/codebuild/builds/${encodeURIComponent('nope:00000000-0000-0000-0000-000000000000')}`,
      headers: t.headers(),
    });
    assert.equal(missing.statusCode, 404, missing.body);
  });
});
