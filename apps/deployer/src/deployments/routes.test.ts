import assert from 'node:assert/strict';
import { readIdentityHash } from '../targets/resource-names.ts';
import { readUserNamespace } from '../validation/namespace-policy.ts';
import { after, before, describe, test } from 'node:test';
import type { Role } from '@ashapp/platform';
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

interface Detail {
  id: string;
  state: string;
  revision: number;
  kind: string;
  image: string | null;
  url: string | null;
  error: string | null;
  manifest: string | null;
  live: boolean;
  events: Array<{ seq: number; kind: string; stage: string; text: string }>;
}

/** The local image name of an app: readable prefix, then a hash of the exact (owner, namespace, app). */
const localImage = (appName: string, revision: number, owner = users.alice, namespace = 'default') =>
  `localhost/ashapp/${namespace}-${appName}-${readIdentityHash({ owner, namespace, appName })}:r${revision}`;

describe('deployer routes (fake builder and fake podman-like target; real Python checker, SQLite, outbox)', () => {
  let deployer: TestDeployer;
  let builder: FakeBuilder;
  let target: FakeTarget;

  before(async () => {
    builder = createFakeBuilder();
    target = await createFakeTarget();
    deployer = await startTestDeployer({ builder, target });
  });
  after(async () => {
    await deployer?.close();
    await target?.close();
  });

  const post = (url: string, payload: unknown, userId = users.alice, roles: Role[] = ['user']) =>
    deployer.app.inject({
      method: 'POST',
      url,
      payload: payload as object,
      headers: identityHeaders(userId, roles),
    });
  const get = (url: string, userId = users.alice, roles: Role[] = ['user']) =>
    deployer.app.inject({ method: 'GET', url, headers: identityHeaders(userId, roles) });
  const detail = async (id: string, userId = users.alice): Promise<Detail> =>
    (await get(`/deployer-api/deployments/${id}`, userId)).json();
  const settings = {
    k8s_kind: 'Deployment',
    replicas: 2,
    service_type: 'NodePort',
    container_port: 5000,
    namespace: 'default',
  };

  async function deployAndWait(
    body: Record<string, unknown>,
    userId = users.alice,
    roles: Role[] = ['user'],
  ): Promise<Detail> {
    const res = await post('/deployer-api/deploy', body, userId, roles);
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    return detail(res.json().deployment_id, userId);
  }

  test('answers 401 without an identity assertion on every deployer route', async () => {
    for (const [method, url] of [
      ['POST', '/deployer-api/deploy'],
      ['POST', '/deployer-api/validate'],
      ['POST', '/deployer-api/docker-login'],
      ['GET', '/deployer-api/deployments'],
      ['GET', '/deployer-api/registry'],
    ] as const) {
      assert.equal((await deployer.app.inject({ method, url, payload: {} })).statusCode, 401, url);
    }
  });

  test('validate finds the Flask app object, its port and routes', async () => {
    const res = await post('/deployer-api/validate', { code: helloCode, app_name: 'hello' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      valid: true,
      errors: [],
      message: 'Code is valid',
      app_object: 'app:app',
      port: 5000,
      routes: ['/<name>'],
    });
  });

  test('validate reports a syntax error with line and column from Python, and code without a Flask app', async () => {
    const broken = await post('/deployer-api/validate', {
      code: 'from flask import Flask\napp = Flask(__name__)\ndef f(:\n  pass\n',
    });
    assert.equal(broken.statusCode, 200);
    const body = broken.json();
    assert.equal(body.valid, false);
    assert.equal(body.errors[0].line, 3);
    assert.equal(typeof body.errors[0].column, 'number');
    assert.match(body.error, /line 3/);
    const noApp = (await post('/deployer-api/validate', { code: 'print("hi")\n' })).json();
    assert.equal(noApp.valid, false);
    assert.match(noApp.errors[0].message, /no Flask application/);
    const badName = await post('/deployer-api/validate', { code: helloCode, app_name: 'Bad;Name' });
    assert.equal(badName.statusCode, 400);
    assert.match(badName.json().error.message, /app_name/);
  });

  test("validate answers 400 with the reason for code nested beyond the checker's limits (was 503)", async () => {
    for (const code of ['x = ' + '-'.repeat(100_000) + '1', '1+'.repeat(60_000)]) {
      const res = await post('/deployer-api/validate', { code });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(
        res.json().error.message,
        'code: an expression is nested more than 200 levels deep (line 1)',
      );
    }
  });

  test('preview returns validated manifests without building or applying anything', async () => {
    const res = await post('/deployer-api/preview', { app_name: 'preview-me', code: helloCode, ...settings });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.match(body.manifests, /kind: Deployment/);
    assert.match(body.manifests, /kind: Service/);
    assert.deepEqual(
      body.objects.map((o: { kind: string }) => o.kind),
      ['Deployment', 'Service'],
    );
    assert.equal(body.image, localImage('preview-me', 1));
    assert.equal(builder.builds.length, 0);
    assert.equal(target.applied.length, 0);
  });

  test('refuses injection and malformed inputs with a 400 naming the field, and builds or runs nothing', async () => {
    const code = { code: helloCode, ...settings };
    const git = {
      repo_url: 'https://example.com/team/app.git',
      image_name: 'team/app',
      tag: 'v1',
      namespace: 'default',
    };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...code, app_name: 'hello; rm -rf /' }, /app_name/],
      [{ ...code, app_name: 'hello\nkind: Secret' }, /app_name/],
      [{ ...code, app_name: 'a\n  b: c' }, /app_name/],
      [{ ...code, app_name: '$(touch /tmp/pwned)' }, /app_name/],
      [{ ...code, app_name: `a${'b'.repeat(300)}` }, /app_name/],
      [{ ...code, app_name: 'hello', namespace: 'default;ls' }, /namespace/],
      [{ ...code, app_name: 'hello', namespace: '../../etc' }, /namespace/],
      [{ ...code, app_name: 'hello', replicas: 500 }, /replicas/],
      [{ ...code, app_name: 'hello', container_port: 70000 }, /container_port/],
      [{ ...code, app_name: 'hello', service_type: 'ExternalName' }, /service_type/],
      [
        { ...code, app_name: 'hello', requirements: '--index-url https://evil.example/simple\nflask' },
        /requirements/,
      ],
      [{ ...code, app_name: 'hello', extra: 1 }, /extra|additional/i],
      [{ ...git, app_name: 'app', repo_url: '--upload-pack=touch /tmp/pwned' }, /repo_url/],
      [{ ...git, app_name: 'app', repo_url: 'ext::sh -c touch% /tmp/pwned' }, /repo_url/],
      [{ ...git, app_name: 'app', repo_url: 'https://example.com/../../etc/passwd' }, /repo_url/],
      [{ ...git, app_name: 'app', repo_url: 'file:///etc' }, /repo_url/],
      [{ ...git, app_name: 'app', ref: '--upload-pack=touch' }, /ref/],
      [{ ...git, app_name: 'app', ref: '-c' }, /ref/],
      [{ ...git, app_name: 'app', ref: 'main;ls' }, /ref/],
      [{ ...git, app_name: 'app', ref: '../../x' }, /ref/],
      [{ ...git, app_name: 'app', image_name: 'Team/App;rm' }, /image_name/],
      [{ ...git, app_name: 'app', tag: 'v1\nkind: Secret' }, /tag/],
      [{ ...git, app_name: 'app', tag: '$(id)' }, /tag/],
      [{ ...code, app_name: 'hello', repo_url: 'https://example.com/a.git' }, /code/],
      [{ ...settings, app_name: 'hello' }, /code/],
      [
        { ...code, app_name: 'hello', strategy: 'blue-green' },
        /strategy: blue-green needs the kubernetes target/,
      ],
    ];
    for (const [body, field] of cases) {
      for (const url of ['/deployer-api/deploy', '/deployer-api/preview']) {
        const res = await post(url, body);
        assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(body).slice(0, 120)}: ${res.body}`);
        assert.match(res.json().error.message, field, JSON.stringify(body).slice(0, 120));
      }
    }
    assert.equal(builder.builds.length, 0, 'nothing was built');
    assert.equal(target.applied.length, 0, 'nothing was applied');
    assert.equal((await get('/deployer-api/deployments')).json().items.length, 0, 'nothing was recorded');
  });

  test('deploys pasted code through every state to Stable, persisting each state and log line', async () => {
    const res = await post('/deployer-api/deploy', { app_name: 'hello', code: helloCode, ...settings });
    assert.equal(res.statusCode, 202);
    const accepted = res.json();
    assert.deepEqual(Object.keys(accepted).sort(), [
      'app_name',
      'deployment_id',
      'namespace',
      'revision',
      'state',
      'stream_url',
    ]);
    assert.equal(accepted.revision, 1);
    assert.equal(accepted.stream_url, `/deployer-api/deployments/${accepted.deployment_id}/stream`);
    await deployer.runner.idle();
    const record = await detail(accepted.deployment_id);
    assert.equal(record.state, 'Stable', record.error ?? '');
    assert.equal(record.image, localImage('hello', 1));
    assert.match(record.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/default\/hello\/$/);
    assert.match(record.manifest ?? '', /ashapp.io\/revision: "1"/);
    assert.equal(record.live, true);
    assert.deepEqual(
      record.events.filter((e) => e.kind === 'state').map((e) => e.stage),
      ['Initialized', 'Validating', 'Preparing', 'Building', 'Deploying', 'Testing', 'Monitoring', 'Stable'],
    );
    assert.deepEqual(
      record.events.map((e) => e.seq),
      record.events.map((_e, i) => i),
      'events numbered in order',
    );
    assert.ok(
      record.events.some((e) => e.kind === 'log' && e.stage === 'Building' && /fake builder/.test(e.text)),
    );
    assert.ok(
      record.events.some((e) => e.kind === 'log' && e.stage === 'Testing' && /healthz → 200/.test(e.text)),
    );
    assert.equal(builder.builds.at(-1)?.image, localImage('hello', 1));
    assert.equal(builder.pushes.length, 0, 'no registry signed in: nothing pushed');
    const actions = (await deployer.auditEvents()).filter(
      (e) => (e.request_data as { deployment_id?: string })?.deployment_id === accepted.deployment_id,
    );
    assert.deepEqual(
      actions.map((e) => e.action_type),
      [
        'deployment.validating',
        'deployment.preparing',
        'deployment.building',
        'deployment.deploying',
        'deployment.testing',
        'deployment.monitoring',
        'deployment.stable',
      ],
    );
    assert.ok(
      deployer.logLines.some((l) => /could not save a deploy to history/.test(l)),
      'history down is only a warning',
    );
  });

  test('fails a deploy whose code has a syntax error before anything changes (Failed, target untouched)', async () => {
    const applied = target.applied.length;
    const record = await deployAndWait({
      app_name: 'broken',
      code: 'from flask import Flask\napp = Flask(__name__\n',
      ...settings,
    });
    assert.equal(record.state, 'Failed');
    assert.match(record.error ?? '', /line 2/);
    assert.equal(target.applied.length, applied);
  });

  test('rolls back automatically to the previous revision when the new one fails after being applied', async () => {
    const second = await deployAndWait({
      app_name: 'hello',
      code: helloCode.replace('Hello', 'Hi'),
      ...settings,
    });
    assert.equal(second.state, 'Stable');
    assert.equal(second.revision, 2);
    target.failingImages.add(localImage('hello', 3));
    const third = await deployAndWait({
      app_name: 'hello',
      code: helloCode.replace('Hello', 'Oops'),
      ...settings,
    });
    assert.equal(third.state, 'RolledBack');
    assert.match(third.error ?? '', /CrashLoopBackOff.*rolled back to revision 2/);
    assert.deepEqual(
      third.events
        .filter((e) => e.kind === 'state')
        .map((e) => e.stage)
        .slice(-3),
      ['Deploying', 'Rollback', 'RolledBack'],
    );
    assert.equal(target.running.get('default/hello'), localImage('hello', 2), 'revision 2 serves again');
    const revisions = (await get('/deployer-api/deployments/hello/revisions?namespace=default')).json();
    assert.equal(revisions.live_revision, 2);
    assert.deepEqual(
      revisions.items.map((r: { revision: number; state: string }) => `${r.revision}:${r.state}`),
      ['3:RolledBack', '2:Stable', '1:Stable'],
    );
  });

  test('rolls back on request to revision 1: its exact manifest and image as a new rollback record', async () => {
    const res = await post('/deployer-api/deployments/hello/rollback', { namespace: 'default', revision: 1 });
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    const record = await detail(res.json().deployment_id);
    assert.equal(record.kind, 'rollback');
    assert.equal(record.state, 'Stable', record.error ?? '');
    assert.equal(record.revision, 4);
    assert.equal(record.image, localImage('hello', 1));
    const first = (await get('/deployer-api/deployments'))
      .json()
      .items.find((d: Detail & { app_name: string }) => d.app_name === 'hello' && d.revision === 1);
    assert.equal(record.manifest, (await detail(first.id)).manifest, 'the very manifest of revision 1');
    assert.equal(target.running.get('default/hello'), localImage('hello', 1));
    assert.equal(
      (await post('/deployer-api/deployments/hello/rollback', { namespace: 'default', revision: 3 }))
        .statusCode,
      400,
    );
    assert.equal(
      (await post('/deployer-api/deployments/hello/rollback', { namespace: 'default', revision: 99 }))
        .statusCode,
      404,
    );
  });

  test("only the app's owner or an admin may deploy over, roll back or delete it", async () => {
    const deploy = await post(
      '/deployer-api/deploy',
      { app_name: 'hello', code: helloCode, ...settings },
      users.bob,
    );
    assert.equal(deploy.statusCode, 403);
    // Another user's app answers exactly like a missing one: no existence oracle.
    const missing = (
      await get('/deployer-api/deployments/nosuch/revisions?namespace=default', users.bob)
    ).json().error.message as string;
    const foreignRevisions = await get(
      '/deployer-api/deployments/hello/revisions?namespace=default',
      users.bob,
    );
    assert.equal(foreignRevisions.statusCode, 404);
    assert.equal(foreignRevisions.json().error.message, missing.replace('nosuch', 'hello'));
    assert.equal(
      (
        await post(
          '/deployer-api/deployments/hello/rollback',
          { namespace: 'default', revision: 1 },
          users.bob,
        )
      ).statusCode,
      404,
    );
    assert.equal(
      (
        await post(
          '/deployer-api/deployments/nosuch/rollback',
          { namespace: 'default', revision: 1 },
          users.bob,
        )
      ).statusCode,
      404,
    );
    const del = await deployer.app.inject({
      method: 'DELETE',
      url: '/deployer-api/apps/hello?namespace=default',
      headers: identityHeaders(users.bob),
    });
    assert.equal(del.statusCode, 404);
    assert.equal(del.json().error.message, missing.replace('nosuch', 'hello'));
    assert.equal(target.running.has('default/hello'), true, "alice's app still runs");
    // Preview says the name is taken, as deploy must, but not alice's revision counter.
    const preview = await post(
      '/deployer-api/preview',
      { app_name: 'hello', code: helloCode, ...settings },
      users.bob,
    );
    assert.equal(preview.statusCode, 403);
    assert.doesNotMatch(preview.body, /revision|alice/);
    assert.equal(
      (await get('/deployer-api/deployments', users.bob)).json().items.length,
      0,
      'bob sees only his own',
    );
    const all = (await get('/deployer-api/deployments', users.admin, ['user', 'admin'])).json();
    assert.ok(all.items.length >= 5, 'an admin sees everyone’s');
    const id = all.items[0].id as string;
    assert.equal((await get(`/deployer-api/deployments/${id}`, users.bob)).statusCode, 404);
    const byAdmin = await deployAndWait({ app_name: 'hello', code: helloCode, ...settings }, users.admin, [
      'user',
      'admin',
    ]);
    assert.equal(byAdmin.state, 'Stable');
  });

  test('pages the list with next_cursor', async () => {
    const first = (await get('/deployer-api/deployments?limit=2')).json();
    assert.equal(first.items.length, 2);
    assert.ok(first.next_cursor);
    const second = (
      await get(`/deployer-api/deployments?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`)
    ).json();
    assert.equal(second.items.length, 2);
    assert.notDeepEqual(
      second.items.map((d: Detail) => d.id),
      first.items.map((d: Detail) => d.id),
    );
    assert.equal((await get('/deployer-api/deployments?cursor=nonsense')).statusCode, 400);
  });

  test('answers 409 for a second deploy of an app while one runs, and accepts it afterwards', async () => {
    builder.hold();
    const first = await post('/deployer-api/deploy', { app_name: 'busy', code: helloCode, ...settings });
    assert.equal(first.statusCode, 202);
    const second = await post('/deployer-api/deploy', { app_name: 'busy', code: helloCode, ...settings });
    assert.equal(second.statusCode, 409);
    const deletion = await deployer.app.inject({
      method: 'DELETE',
      url: '/deployer-api/apps/busy?namespace=default',
      headers: identityHeaders(users.alice),
    });
    assert.equal(deletion.statusCode, 409);
    builder.release();
    await deployer.runner.idle();
    assert.equal(
      (await post('/deployer-api/deploy', { app_name: 'busy', code: helloCode, ...settings })).statusCode,
      202,
    );
    await deployer.runner.idle();
  });

  test("a pod removed behind the deployer's back is shown as missing, not as the live revision", async () => {
    const stable = await deployAndWait({ app_name: 'vanishing', code: helloCode, ...settings });
    assert.equal(stable.state, 'Stable');
    assert.equal((await detail(stable.id)).live, true);
    target.running.delete('default/vanishing');
    const after = (await get(`/deployer-api/deployments/${stable.id}`)).json();
    assert.equal(after.live, false);
    assert.equal(after.target_status, 'missing');
    const listed = (await get('/deployer-api/deployments?limit=200'))
      .json()
      .items.find((i: { id: string }) => i.id === stable.id);
    assert.deepEqual([listed.live, listed.target_status], [false, 'missing']);
    const revisions = (await get('/deployer-api/deployments/vanishing/revisions?namespace=default')).json();
    assert.deepEqual([revisions.live_revision, revisions.target_status], [null, 'missing']);
    assert.ok(revisions.items.every((r: { live: boolean }) => !r.live));
  });

  test('deletes an app from the target and marks it deleted', async () => {
    const res = await deployer.app.inject({
      method: 'DELETE',
      url: '/deployer-api/apps/busy?namespace=default',
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { deleted: true, app_name: 'busy', namespace: 'default' });
    assert.deepEqual(target.deleted.at(-1), { appName: 'busy', namespace: 'default', owner: users.alice });
    assert.equal(target.running.has('default/busy'), false);
    assert.equal(
      (await get('/deployer-api/deployments/busy/revisions?namespace=default')).json().live_revision,
      null,
    );
    const again = await deployer.app.inject({
      method: 'DELETE',
      url: '/deployer-api/apps/busy?namespace=default',
      headers: identityHeaders(users.alice),
    });
    assert.equal(again.statusCode, 404);
  });

  test("deploys only into namespaces the operator allows: kube-system, kube-public and the platform's are 403 naming the allowed ones", async () => {
    const own = readUserNamespace(users.alice);
    assert.deepEqual((await get('/deployer-api/namespaces')).json(), {
      default: own,
      allowed: [own, 'default', 'team-a'],
    });
    const builds = builder.builds.length;
    for (const namespace of [
      'kube-system',
      'kube-public',
      'ashapp',
      'somebody-else',
      readUserNamespace(users.bob),
    ]) {
      const res = await post('/deployer-api/deploy', {
        app_name: 'sneaky',
        code: helloCode,
        ...settings,
        namespace,
      });
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(
        res.json().error.message,
        `namespace: ${namespace} is not a namespace you may deploy into; allowed: ${own}, default, team-a`,
      );
      assert.equal(
        (await post('/deployer-api/preview', { app_name: 'sneaky', code: helloCode, ...settings, namespace }))
          .statusCode,
        403,
      );
    }
    assert.equal(builder.builds.length, builds, 'nothing was built');
    assert.equal(
      (await get('/deployer-api/deployments?limit=200'))
        .json()
        .items.filter((i: { app_name: string }) => i.app_name === 'sneaky').length,
      0,
    );
    const { namespace: _omitted, ...withoutNamespace } = settings;
    const mine = await deployAndWait({ app_name: 'in-own-namespace', code: helloCode, ...withoutNamespace });
    assert.equal(mine.state, 'Stable');
    assert.equal((mine as unknown as { namespace: string }).namespace, own);
    assert.equal(target.running.has(`${own}/in-own-namespace`), true);
  });

  test('stops a running pipeline cleanly at shutdown: the record ends Failed, nothing left hanging', async () => {
    const slowBuilder = createFakeBuilder();
    slowBuilder.hold();
    const own = await startTestDeployer({ builder: slowBuilder, target });
    try {
      const res = await own.app.inject({
        method: 'POST',
        url: '/deployer-api/deploy',
        payload: { app_name: 'stopped', code: helloCode, ...settings },
        headers: identityHeaders(users.alice),
      });
      assert.equal(res.statusCode, 202);
      for (let i = 0; i < 200 && slowBuilder.builds.length === 0; i += 1)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(own.runner.running(), 1);
      await own.runner.stop();
      const record = (
        await own.app.inject({
          url: `/deployer-api/deployments/${res.json().deployment_id}`,
          headers: identityHeaders(users.alice),
        })
      ).json();
      assert.equal(record.state, 'Failed');
      assert.match(record.error, /shutting down/);
      assert.equal(own.runner.running(), 0);
    } finally {
      await own.close();
    }
  });
});
