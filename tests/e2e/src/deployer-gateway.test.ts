import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startDeployerPlatform, type DeployerPlatform } from './deployer-platform.ts';
import { readEventStream, type SseMessage } from '../../../apps/deployer/test/sse.ts';
import { helloCode } from '../../../apps/deployer/test/service-harness.ts';

const run = promisify(execFile);

/**
 * The deployer end to end, through the real gateway (sign-in with the STS stand-in, bearer token):
 * registry sign-in against docker-registry with htpasswd, buildah builds on the Debian-package Flask base
 * image, push, podman kube play, live progress over SSE, the app answering, a change, a rollback, delete;
 * then the same from a local Git repository.
 */
describe(
  'deployer end to end through the gateway (buildah, docker-registry, podman)',
  { timeout: 600_000 },
  () => {
    let platform: DeployerPlatform;
    let token = '';
    const leftovers = { pods: ['default-hello', 'team-a-from-git'], images: [] as string[] };

    before(async () => {
      platform = await startDeployerPlatform();
      token = await platform.signIn();
    });
    after(async () => {
      await platform?.stop(leftovers);
    });

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${platform.gatewayUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };

    async function follow(
      deploymentId: string,
    ): Promise<{ states: string[]; done: SseMessage; logs: string[] }> {
      const { messages } = await readEventStream(
        `${platform.gatewayUrl}/deployer-api/deployments/${deploymentId}/stream`,
        { authorization: `Bearer ${token}` },
        () => undefined,
        240_000,
      );
      const done = messages.at(-1);
      assert.equal(done?.event, 'done', 'the stream ends with done');
      return {
        states: messages.filter((m) => m.event === 'state').map((m) => String(m.data.state)),
        logs: messages.filter((m) => m.event === 'log').map((m) => String(m.data.line)),
        done: done!,
      };
    }

    async function deployAndFollow(body: Record<string, unknown>) {
      const res = await call('POST', '/deployer-api/deploy', body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const result = await follow(String(res.body.deployment_id));
      assert.equal(
        result.done.data.state,
        'Stable',
        `${String(result.done.data.error)}\n${result.logs.slice(-20).join('\n')}`,
      );
      if (typeof result.done.data.image === 'string') leftovers.images.push(result.done.data.image);
      return result;
    }

    const answer = async (url: string, path: string) => {
      const res = await fetch(new URL(path, url), { signal: AbortSignal.timeout(5000) });
      return { status: res.status, text: await res.text() };
    };

    test('registry sign-in through the gateway: 401 with a wrong token, 200 with the right one', async () => {
      const wrong = await call('POST', '/deployer-api/docker-login', {
        docker_user: platform.registry.username,
        docker_token: 'wrong',
        registry: platform.registry.host,
      });
      assert.equal(wrong.status, 401);
      const right = await call('POST', '/deployer-api/docker-login', {
        docker_user: platform.registry.username,
        docker_token: platform.registry.password,
        registry: platform.registry.host,
      });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      const status = await call('GET', '/deployer-api/registry');
      assert.equal(status.body.signed_in, true);
      assert.ok(!JSON.stringify(status.body).includes(platform.registry.password));
    });

    test('pasted hello app: deploy with live stages, answer, change, roll back to revision 1, delete, nothing left running', async () => {
      const settings = {
        app_name: 'hello',
        k8s_kind: 'Deployment',
        replicas: 2,
        service_type: 'NodePort',
        container_port: 5000,
        namespace: 'default',
        strategy: 'rolling',
      };
      const first = await deployAndFollow({ ...settings, code: helloCode });
      assert.deepEqual(first.states, [
        'Initialized',
        'Validating',
        'Preparing',
        'Building',
        'Deploying',
        'Testing',
        'Monitoring',
        'Stable',
      ]);
      assert.ok(
        first.logs.some((l) => /STEP \d+\/\d+: FROM/.test(l)),
        'buildah output streamed',
      );
      assert.ok(
        first.logs.some((l) => /^pushed /.test(l)),
        'pushed to the registry',
      );
      const url = String(first.done.data.url);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.match(
        String(first.done.data.image),
        new RegExp(`^${platform.registry.host}/ashapp/hello:r1-[0-9a-f]{12}$`),
      );
      assert.deepEqual(await answer(url, 'ashwanth'), { status: 200, text: 'Hello, ashwanth!' });

      const second = await deployAndFollow({
        ...settings,
        code: helloCode.replace('Hello, {name}!', 'Hi there, {name}!'),
      });
      assert.equal(second.done.data.url, url, 'a redeploy keeps the URL');
      assert.equal((await answer(url, 'ashwanth')).text, 'Hi there, ashwanth!');

      const revisions = await call('GET', '/deployer-api/deployments/hello/revisions?namespace=default');
      assert.equal(revisions.body.live_revision, 2);
      const rollback = await call('POST', '/deployer-api/deployments/hello/rollback', {
        namespace: 'default',
        revision: 1,
      });
      assert.equal(rollback.status, 202, JSON.stringify(rollback.body));
      const back = await follow(String(rollback.body.deployment_id));
      assert.equal(back.done.data.state, 'Stable', String(back.done.data.error));
      assert.ok(!back.states.includes('Building'), 'a rollback builds nothing');
      assert.equal(back.done.data.image, first.done.data.image, "revision 1's exact image");
      assert.equal((await answer(url, 'ashwanth')).text, 'Hello, ashwanth!');

      const deleted = await call('DELETE', '/deployer-api/apps/hello?namespace=default');
      assert.equal(deleted.status, 200);
      // The app's own pod name ends with the same hash as its image tag (other tests' pods may share the prefix).
      const hash = /-([0-9a-f]{12})$/.exec(String(first.done.data.image))?.[1];
      assert.ok(hash);
      assert.deepEqual(await platform.listContainers(`default-hello-${hash}-`), []);
      await assert.rejects(answer(url, 'ashwanth'));

      const history = await fetch(`${platform.gatewayUrl}/api/history?limit=10`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const entries = (await history.json()) as Array<{ query: string }>;
      assert.ok(
        entries.some((e) => /^deploy hello \(default\) revision 1/.test(e.query)),
        'each deploy is in the user’s history',
      );
      assert.ok(entries.some((e) => /^rollback hello \(default\) to revision 1/.test(e.query)));
    });

    test('git repository source: clone a local repo, build its Dockerfile, push, deploy, answer, delete', async () => {
      const repo = join(platform.workDir, 'repo');
      await mkdir(repo);
      const gitEnv = {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
      };
      await run('git', ['init', '-q', '-b', 'main', repo], { env: gitEnv });
      await writeFile(
        join(repo, 'Dockerfile'),
        [
          `FROM ${platform.base.localImage}`,
          'WORKDIR /srv',
          'COPY web.py /srv/',
          'USER 10001:10001',
          'EXPOSE 8080',
          'CMD ["python3", "-m", "gunicorn", "--bind", "0.0.0.0:8080", "--worker-tmp-dir", "/tmp", "web:app"]',
          '',
        ].join('\n'),
      );
      await writeFile(
        join(repo, 'web.py'),
        'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/healthz")\ndef health():\n    return "fine"\n\n@app.route("/<name>")\ndef hello(name):\n    return f"Hello from git, {name}!"\n',
      );
      await run('git', ['-C', repo, 'add', '-A'], { env: gitEnv });
      await run('git', ['-C', repo, 'commit', '-q', '-m', 'app'], { env: gitEnv });

      const result = await deployAndFollow({
        repo_url: repo,
        ref: 'main',
        image_name: 'ashapp/from-git',
        tag: 'v1',
        app_name: 'from-git',
        namespace: 'team-a',
        k8s_kind: 'ReplicaSet',
        replicas: 1,
        service_type: 'ClusterIP',
        container_port: 8080,
      });
      assert.ok(result.logs.some((l) => /^checked out main at [0-9a-f]{40}$/.test(l)));
      assert.equal(result.done.data.image, `${platform.registry.host}/ashapp/from-git:v1`);
      const url = String(result.done.data.url);
      assert.equal((await answer(url, 'ashwanth')).text, 'Hello from git, ashwanth!');
      assert.equal((await call('DELETE', '/deployer-api/apps/from-git?namespace=team-a')).status, 200);
      assert.deepEqual(await platform.listContainers('team-a-from-git'), []);
    });
  },
);
