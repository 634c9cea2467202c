import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createPythonChecker } from '../python-check/python-check.ts';
import { writeBuildContext } from '../build/dockerfile.ts';
import { createBuildahBuilder, readStorageArgs } from '../build/buildah-builder.ts';
import { createRegistrySignInChecker } from '../registry/registry-sign-in.ts';
import { renderManifests, type KubeObject, type ManifestSpec } from '../manifests/render-manifests.ts';
import { createManifestValidator } from '../manifests/validate-manifests.ts';
import { createPodmanTarget } from '../targets/podman-target.ts';
import type { AppRef, DeployTarget } from '../targets/deploy-target.ts';
import { createGitSource } from '../sources/git-source.ts';
import { runCommand } from '../process/run-command.ts';
import { startLocalRegistry, type LocalRegistry } from '../../test/local-registry.ts';
import { ensureTestBaseImage, type TestBaseImage } from '../../test/base-image.ts';
import { readTestChildEnv, readTestStorage } from '../../test/containers-env.ts';
import { createTestBuildSandbox } from '../../test/build-sandbox.ts';

/**
 * End to end on this machine, nothing faked: a docker-registry with htpasswd, buildah, podman kube play.
 * The screenshot's hello app goes from pasted code to "Hello, ashwanth!", is changed, rolled back and
 * deleted; then the same from a Git repository holding a Dockerfile.
 */

const run = promisify(execFile);
const log = pino({ level: 'silent' });
const env = readTestChildEnv();
const storage = readTestStorage();
const owner = 'arn:aws:iam::111111111111:user/ashwanth';
const sandbox = createTestBuildSandbox();

const helloCode = `from flask import Flask

app = Flask(__name__)

@app.route("/<name>")
def hello(name):
    return f"Hello, {name}!"

if __name__ == "__main__":
    # Runs on port 5000 (can be changed)
    app.run(host="0.0.0.0", port=5000, debug=True)
`;

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

async function listRunningNames(): Promise<string[]> {
  const result = await runCommand({
    command: 'podman',
    args: [...readStorageArgs(storage), 'ps', '-a', '--format', '{{.Names}}'],
    env,
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean);
}

describe(
  'deploy end to end: pasted code and a git repository → buildah → registry → podman',
  { timeout: 240_000 },
  () => {
    let registry: LocalRegistry;
    let base: TestBaseImage;
    let work: string;
    let target: DeployTarget;
    const builder = createBuildahBuilder({ log, env, storage, sandbox });
    const validator = createManifestValidator();
    const deployed: AppRef[] = [];
    const images: string[] = [];

    before(async () => {
      registry = await startLocalRegistry();
      base = await ensureTestBaseImage({ env, storage, registry });
      work = await mkdtemp(join(tmpdir(), 'ashapp-e2e-'));
      target = createPodmanTarget({ log, env, storage, stateDir: join(work, 'podman-state') });
    });

    after(async () => {
      // Runs even when a test failed: nothing may be left running or stored.
      for (const app of deployed)
        await target?.delete(app).catch((err: unknown) => console.error('cleanup', err));
      for (const image of images) await builder.removeImage(image).catch(() => undefined);
      await registry?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    async function buildAndPush(name: string, revision: number, code: string): Promise<string> {
      const check = await createPythonChecker({ env: { PATH: '/usr/bin:/bin' } }).checkFlaskApp(code);
      assert.ok(check.ok, 'the pasted code is valid');
      assert.equal(check.appVariable, 'app');
      assert.equal(check.port, 5000);
      const contextDir = join(work, `${name}-r${revision}`);
      await writeBuildContext({
        dir: contextDir,
        code,
        appVariable: check.appVariable,
        appHasHealthRoute: check.hasHealthRoute,
        containerPort: check.port,
        baseImage: base.localImage,
        runtimeInstalled: true,
      });
      const image = `${registry.host}/${name}:r${revision}`;
      images.push(image);
      const lines: string[] = [];
      await builder.build({ contextDir, image, log: (l) => lines.push(l), pull: 'never' });
      assert.ok(lines.length > 3, 'build log streamed');
      await builder.push({
        image,
        registry: registry.host,
        credentials: registry,
        insecure: true,
        log: () => undefined,
      });
      // Drop the local copy so podman has to pull what was pushed, with the credentials.
      await builder.removeImage(image);
      return image;
    }

    async function deploy(spec: ManifestSpec): Promise<{ objects: KubeObject[]; url: string }> {
      const objects = renderManifests(spec);
      validator.assertValid(objects);
      const applied = await target.apply(objects, {
        namespace: spec.namespace,
        owner,
        registry: { host: registry.host, credentials: registry, insecure: true },
      });
      const events: string[] = [];
      const rollout = await target.followRollout(applied.workload, {
        timeoutMs: 60_000,
        onEvent: (e) => events.push(e.message),
      });
      assert.deepEqual(rollout, { ok: true, readyReplicas: 1 }, events.join('\n'));
      const url = (await target.readUrl({ ...spec, owner }))?.url;
      assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
      return { objects, url: url! };
    }

    test('signs in to the registry (401 with wrong credentials, 200 with right ones)', async () => {
      const checker = createRegistrySignInChecker({ insecureRegistries: [registry.host] });
      await assert.rejects(
        checker.verifyCredentials({
          registry: registry.host,
          credentials: { username: registry.username, password: 'wrong' },
        }),
      );
      assert.equal(
        (await checker.verifyCredentials({ registry: registry.host, credentials: registry })).scheme,
        'basic',
      );
    });

    test('pasted hello app: deploy, answer, change, roll back, delete, nothing left running', async () => {
      const app: AppRef = { appName: 'hello', namespace: 'default', owner };
      deployed.push(app);
      const spec = (image: string, revision: number): ManifestSpec => ({
        ...app,
        image,
        kind: 'Deployment',
        replicas: 2,
        serviceType: 'NodePort',
        containerPort: 5000,
        revision,
      });

      const image1 = await buildAndPush('hello', 1, helloCode);
      const first = await deploy(spec(image1, 1));
      assert.deepEqual(await get(`${first.url}ashwanth`), { status: 200, text: 'Hello, ashwanth!' });
      assert.deepEqual(await get(`${first.url}healthz`), { status: 200, text: 'ok\n' });

      const image2 = await buildAndPush('hello', 2, helloCode.replace('Hello, {name}!', 'Hi there, {name}!'));
      const second = await deploy(spec(image2, 2));
      assert.equal(second.url, first.url, 'a redeploy keeps the URL');
      assert.equal((await get(`${second.url}ashwanth`)).text, 'Hi there, ashwanth!');

      // Roll back: re-apply revision 1's exact manifest (and so its image).
      const rolledBack = await target.apply(first.objects, {
        namespace: 'default',
        owner,
        registry: { host: registry.host, credentials: registry, insecure: true },
      });
      assert.deepEqual(await target.followRollout(rolledBack.workload, { timeoutMs: 60_000 }), {
        ok: true,
        readyReplicas: 1,
      });
      assert.equal((await get(`${first.url}ashwanth`)).text, 'Hello, ashwanth!');

      await target.delete(app);
      assert.deepEqual(
        (await listRunningNames()).filter((n) => n.includes('default-hello')),
        [],
      );
      await assert.rejects(get(`${first.url}ashwanth`));
      assert.equal(await target.readUrl(app), undefined);
    });

    test('git repository with a Dockerfile: clone, build, push, deploy, answer, delete', async () => {
      const repo = join(work, 'repo');
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
          `FROM ${base.localImage}`,
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

      const checkout = await createGitSource({
        log,
        env,
        allowLocalPaths: true,
        tempDir: work,
        sandbox,
      }).clone({ repoUrl: repo, ref: 'main' });
      const image = `${registry.host}/from-git:r1`;
      images.push(image);
      try {
        await builder.build({ contextDir: checkout.dir, image, log: () => undefined, pull: 'never' });
      } finally {
        await checkout.remove();
      }
      await builder.push({
        image,
        registry: registry.host,
        credentials: registry,
        insecure: true,
        log: () => undefined,
      });

      const app: AppRef = { appName: 'from-git', namespace: 'team-a', owner };
      deployed.push(app);
      const { url } = await deploy({
        ...app,
        image,
        kind: 'ReplicaSet',
        replicas: 1,
        serviceType: 'ClusterIP',
        containerPort: 8080,
        revision: 1,
      });
      assert.equal((await get(`${url}ashwanth`)).text, 'Hello from git, ashwanth!');
      await target.delete(app);
      assert.deepEqual(
        (await listRunningNames()).filter((n) => n.includes('team-a-from-git')),
        [],
      );
    });
  },
);
