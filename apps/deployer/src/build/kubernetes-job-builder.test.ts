import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { InputError } from '@ashapp/platform';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { createManifestValidator } from '../manifests/validate-manifests.ts';
import type { RegistrySignInChecker } from '../registry/registry-sign-in.ts';
import { createKubernetesTarget } from '../targets/kubernetes-target.ts';
import {
  scriptedJobRunner,
  startKubeStandIn,
  type JobPodRun,
  type KubeStandIn,
  type KubeStandInObject,
  type ScriptedContainer,
} from '../../test/kube-stand-in.ts';
import { standInKubeConfig } from '../../test/stand-in-kubeconfig.ts';
import { helloCode, identityHeaders, startTestDeployer, users } from '../../test/service-harness.ts';
import { createManifestValidator as createKubeValidator } from '@ashapp/kube-schemas';
import {
  buildJobCapabilities,
  renderBuildJob,
  renderBuildSecret,
  type BuildJobSettings,
} from './build-job-spec.ts';
import { writeBuildContext } from './dockerfile.ts';
import { createKubernetesJobBuilder } from './kubernetes-job-builder.ts';
import type { BuildAndPushRequest, ImageBuilder } from './image-builder.ts';
import { cloneFailedMessage, createGitSource } from '../sources/git-source.ts';

const token = 'stand-in-token';
const namespace = 'ashapp-builds';
const digest = `sha256:${'ab'.repeat(32)}`;
const credentials = { username: 'ashwanth01', password: 'dckr_pat_job_secret' };
const settings: BuildJobSettings = {
  namespace,
  image: 'ghcr.io/ashapp/ashapp-deployer:0.1.0',
  cpu: 1,
  memoryBytes: 2048 * 1024 * 1024,
  ephemeralStorageBytes: 8192 * 1024 * 1024,
  hostUsers: false,
  ttlSecondsAfterFinished: 600,
};

/** What each container of the current test's Job does; set per test. */
let script: (container: string, run: JobPodRun) => ScriptedContainer;
/** What the node saw: the pod, its Job and the Secret's files, as the kubelet would have them. */
const seen: Array<{
  pod: KubeStandInObject;
  job: KubeStandInObject;
  secret: Record<string, Buffer> | undefined;
  secretObject: KubeStandInObject | undefined;
}> = [];

const buildLines = [
  'STEP 1/6: FROM registry.example.com/python:3.12-slim',
  'STEP 6/6: CMD ["gunicorn"]',
  'COMMIT',
];
const pushLines = ['Copying blob 1f2e3d', 'Writing manifest to image destination', `pushed … @${digest}`];
const commit = '0123456789abcdef0123456789abcdef01234567';
const repoUrl = 'https://git.example.com/team/app.git';
const cloneLines = ['cloning main', 'cloned main'];

describe('builds as Kubernetes Jobs through the API stand-in (client-node unchanged, real HTTP)', () => {
  let standIn: KubeStandIn;
  let builder: ImageBuilder;
  let work: string;
  let contextDir: string;
  const serverLog = createCapturingLogger('job');

  before(async () => {
    standIn = await startKubeStandIn({
      token,
      namespaces: [namespace],
      jobRunner: scriptedJobRunner((container, run) => {
        if (container === 'build')
          seen.push({
            pod: run.pod,
            job: run.job,
            secret: run.secret(run.pod.spec.volumes[1].secret.secretName),
            secretObject: standIn.get('', 'secrets', namespace, run.pod.spec.volumes[1].secret.secretName),
          });
        return script(container, run);
      }),
    });
    const kubeConfig = standInKubeConfig(standIn.url, token);
    work = await mkdtemp(join(tmpdir(), 'ashapp-job-builder-'));
    builder = createKubernetesJobBuilder({
      log: serverLog.log,
      kubeConfig,
      settings,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      tempDir: work,
      pollIntervalMs: 20,
    });
    contextDir = join(work, 'context');
    await writeBuildContext({
      dir: contextDir,
      code: helloCode,
      appVariable: 'app',
      appHasHealthRoute: false,
      containerPort: 5000,
      baseImage: 'registry.example.com/python:3.12-slim',
      runtimeInstalled: false,
    });
  });
  after(async () => {
    await standIn?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const ok = (lines: readonly string[], message?: string): ScriptedContainer => ({
    lines,
    exitCode: 0,
    ...(message ? { message } : {}),
  });

  function buildAndPush(
    extra: {
      signal?: AbortSignal;
      timeoutMs?: number;
      dir?: string;
      git?: BuildAndPushRequest['git'];
    } = {},
  ) {
    const lines: string[] = [];
    const promise = builder.buildAndPush!({
      ...(extra.git ? { git: extra.git } : { contextDir: extra.dir ?? contextDir }),
      image: 'registry.example.com/ashwanth01/hello:r1-0123456789ab',
      log: (line) => lines.push(line),
      insecureRegistries: [],
      timeoutMs: extra.timeoutMs ?? 60_000,
      ...(extra.signal ? { signal: extra.signal } : {}),
      push: { registry: 'registry.example.com', credentials, insecure: false },
    });
    return { lines, promise };
  }

  const jobsLeft = () => standIn.list('batch', 'jobs', namespace);
  const secretsLeft = () => standIn.list('', 'secrets', namespace);

  test('creates the Job and its Secret as specified, streams both containers’ logs, returns the pushed digest, then deletes the Job', async () => {
    script = (container) => (container === 'build' ? ok(buildLines) : ok(pushLines, `${digest}\n`));
    const before = standIn.requests.length;
    const { lines, promise } = buildAndPush();
    const result = await promise;
    assert.equal(result.digest, digest);

    // Logs: the build container's lines, then the push container's, in order.
    const streamed = lines.filter((l) => [...buildLines, ...pushLines].includes(l));
    assert.deepEqual(streamed, [...buildLines, ...pushLines]);

    // Created suspended, the Secret next, then started: the pod never waits for a missing Secret.
    const calls = standIn.requests
      .slice(before)
      .filter((r) => r.method !== 'GET')
      .map((r) => `${r.method} ${r.path.replace(/\/(jobs|secrets)\/[^/]+$/, '/$1/<name>')}`);
    assert.deepEqual(calls.slice(0, 3), [
      `POST /apis/batch/v1/namespaces/${namespace}/jobs`,
      `POST /api/v1/namespaces/${namespace}/secrets`,
      `PATCH /apis/batch/v1/namespaces/${namespace}/jobs/<name>`,
    ]);
    const deletion = standIn.requests.slice(before).find((r) => r.method === 'DELETE');
    assert.equal(deletion?.query.propagationPolicy, 'Background');
    assert.deepEqual(jobsLeft(), [], 'the Job is deleted when done');
    assert.deepEqual(secretsLeft(), [], 'its Secret goes with it (ownerReference, garbage collection)');
    assert.deepEqual(standIn.list('', 'pods', namespace), []);

    const { pod, job, secret, secretObject } = seen.at(-1)!;
    assert.deepEqual(secretObject?.metadata.ownerReferences, [
      { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid },
    ]);
    assert.equal(secretObject?.immutable, true);
    assert.equal(job.metadata.namespace, namespace);
    assert.equal(job.spec.backoffLimit, 0);
    assert.equal(job.spec.activeDeadlineSeconds, 60);
    assert.equal(job.spec.ttlSecondsAfterFinished, 600);
    const spec = pod.spec;
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.hostUsers, false);
    assert.equal(spec.restartPolicy, 'Never');
    assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    for (const container of [...spec.initContainers, ...spec.containers]) {
      assert.equal(container.image, settings.image);
      assert.deepEqual(container.securityContext, {
        runAsUser: 0,
        runAsGroup: 0,
        runAsNonRoot: false,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: [...buildJobCapabilities] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      assert.deepEqual(container.resources.limits, {
        cpu: '1000m',
        memory: '2048Mi',
        'ephemeral-storage': '8192Mi',
      });
      assert.equal(container.command, undefined, 'the image’s tini → node entrypoint runs the entry script');
      assert.equal(container.args[0], 'apps/deployer/dist/build-job.js');
    }
    assert.deepEqual(
      spec.initContainers.map((c: KubeStandInObject) => c.name),
      ['build'],
    );
    const mounts = (name: string) =>
      [...spec.initContainers, ...spec.containers]
        .find((c: KubeStandInObject) => c.name === name)
        .volumeMounts.map((m: KubeStandInObject) => m.mountPath);
    assert.deepEqual(
      mounts('build'),
      ['/build', '/run/ashapp/context'],
      'the build never sees the credentials',
    );
    assert.deepEqual(mounts('push'), ['/build', '/run/ashapp/auth']);
    assert.deepEqual(spec.volumes[0], { name: 'work', emptyDir: { sizeLimit: '8192Mi' } });

    // Credentials only in the Secret: not in the Job, its args or env.
    const jobText = JSON.stringify(job);
    assert.ok(!jobText.includes(credentials.password));
    assert.ok(
      !jobText.includes(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')),
    );
    const auth = JSON.parse(secret!['auth.json']!.toString()) as { auths: Record<string, { auth: string }> };
    assert.equal(
      Buffer.from(auth.auths['registry.example.com']!.auth, 'base64').toString(),
      `${credentials.username}:${credentials.password}`,
    );
    assert.ok(!lines.join('\n').includes(credentials.password), 'the credentials never reach the log');
    // The context is a gzipped tar of the build context.
    const archive = join(work, 'seen.tar.gz');
    await writeFile(archive, secret!['context.tar.gz']!);
    const { stdout } = await promisify(execFile)('tar', ['-tzf', archive]);
    assert.deepEqual(
      stdout
        .split('\n')
        .filter((l) => /\.py$|Dockerfile$/.test(l))
        .sort(),
      ['./Dockerfile', './app.py', './ashapp_wsgi.py'],
    );
    assert.equal(await readFile(join(contextDir, 'app.py'), 'utf8'), helloCode);
  });

  test('a failed build step: the reason is its last lines, the push never runs, the Job is deleted', async () => {
    let pushed = false;
    script = (container) => {
      if (container === 'push') pushed = true;
      return container === 'build'
        ? {
            lines: [
              'STEP 4/6: RUN pip install -r requirements.txt',
              'ERROR: No matching distribution found for flask==99',
            ],
            exitCode: 1,
          }
        : ok(pushLines, digest);
    };
    const { lines, promise } = buildAndPush();
    await assert.rejects(promise, /image build failed: .*No matching distribution found for flask==99/);
    assert.equal(pushed, false);
    assert.ok(lines.includes('STEP 4/6: RUN pip install -r requirements.txt'));
    assert.deepEqual(jobsLeft(), []);
  });

  test('a push the registry refuses: reported as refused credentials', async () => {
    script = (container) =>
      container === 'build'
        ? ok(buildLines)
        : { lines: ['Error: pushing: unauthorized: authentication required'], exitCode: 1 };
    await assert.rejects(buildAndPush().promise, /image push failed: the registry refused the credentials/);
    assert.deepEqual(jobsLeft(), []);
  });

  test('a build past its deadline: the Job controller fails it (DeadlineExceeded) and the reason says so', async () => {
    script = (container) => ({ lines: [`${container} running`], exitCode: 0, runMs: 30_000 });
    const started = Date.now();
    await assert.rejects(buildAndPush({ timeoutMs: 1000 }).promise, /timed out: .*1 s deadline/);
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual(jobsLeft(), []);
  });

  test('a stopped deployment deletes its Job at once', async () => {
    script = (container) => ({ lines: [`${container} running`], exitCode: 0, runMs: 30_000 });
    const controller = new AbortController();
    const { lines, promise } = buildAndPush({ signal: controller.signal });
    const deadline = Date.now() + 10_000;
    while (!lines.includes('build running') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(jobsLeft().length, 1, 'the Job runs');
    controller.abort(Object.assign(new Error('stopped'), { name: 'AbortError' }));
    await assert.rejects(promise, { name: 'AbortError' });
    assert.deepEqual(jobsLeft(), []);
    assert.deepEqual(secretsLeft(), []);
    assert.deepEqual(standIn.list('', 'pods', namespace), []);
  });

  test('a context over what a Secret holds is refused with the limit, before anything is created', async () => {
    const big = join(work, 'big');
    await writeBuildContext({
      dir: big,
      code: helloCode,
      appVariable: 'app',
      appHasHealthRoute: false,
      containerPort: 5000,
      baseImage: 'registry.example.com/python:3.12-slim',
      runtimeInstalled: false,
    });
    // Random bytes do not compress: 1.1 MiB stays over 1 MiB gzipped.
    await writeFile(join(big, 'data.bin'), randomBytes(1100 * 1024));
    const before = standIn.requests.length;
    const refused = await buildAndPush({ dir: big }).promise.catch((err: unknown) => err);
    assert.ok(refused instanceof InputError, String(refused));
    assert.equal(refused.status, 400);
    assert.match(refused.message, /build context is 1\d\d\d KiB compressed; .* at most 1024 KiB/);
    assert.equal(standIn.requests.slice(before).filter((r) => r.method === 'POST').length, 0);
  });

  test('a git source: cloned by a first, unprivileged init container given the URL and ref; its log streamed, its commit reported; the Secret holds only auth.json', async () => {
    script = (container) =>
      container === 'clone'
        ? ok(cloneLines, `commit ${commit}\n`)
        : container === 'build'
          ? ok(buildLines)
          : ok(pushLines, `${digest}\n`);
    const commits: string[] = [];
    const before = standIn.requests.length;
    const { lines, promise } = buildAndPush({
      git: { url: repoUrl, ref: 'main', onCommit: (c) => commits.push(c) },
    });
    const result = await promise;
    assert.equal(result.digest, digest);
    assert.deepEqual(commits, [commit]);
    assert.deepEqual(
      lines.filter((l) => [...cloneLines, ...buildLines, ...pushLines].includes(l)),
      [...cloneLines, ...buildLines, ...pushLines],
      'the clone’s lines first, then the build’s and the push’s',
    );
    assert.deepEqual(jobsLeft(), []);
    assert.deepEqual(secretsLeft(), []);

    const { pod, job, secret } = seen.at(-1)!;
    const spec = pod.spec;
    assert.deepEqual(
      spec.initContainers.map((c: KubeStandInObject) => c.name),
      ['clone', 'build'],
    );
    const clone = spec.initContainers[0];
    assert.deepEqual(clone.args, ['apps/deployer/dist/build-job.js', 'clone']);
    assert.equal(clone.image, settings.image);
    assert.equal(clone.command, undefined);
    const cloneEnv = Object.fromEntries(
      clone.env.map((e: KubeStandInObject) => [e.name, e.value] as [string, string]),
    );
    assert.equal(cloneEnv.ASHAPP_GIT_URL, repoUrl);
    assert.equal(cloneEnv.ASHAPP_GIT_REF, 'main');
    assert.ok(clone.env.every((e: KubeStandInObject) => e.valueFrom === undefined));
    assert.deepEqual(clone.securityContext, {
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(
      clone.volumeMounts.map((m: KubeStandInObject) => m.mountPath),
      ['/build'],
      'the clone mounts no Secret',
    );
    const build = spec.initContainers[1];
    assert.deepEqual(
      build.volumeMounts.map((m: KubeStandInObject) => m.mountPath),
      ['/build'],
      'the build reads the checkout from the emptyDir',
    );
    assert.ok(
      build.env.some((e: KubeStandInObject) => e.name === 'ASHAPP_BUILD_SOURCE' && e.value === 'checkout'),
    );
    assert.deepEqual(
      spec.volumes.map((v: KubeStandInObject) => v.name),
      ['work', 'auth'],
    );
    // Nothing packed: the Secret only carries the registry auth file, never reachable by the clone.
    assert.deepEqual(Object.keys(secret!), ['auth.json']);
    const jobText = JSON.stringify(job);
    assert.ok(!jobText.includes(credentials.password));
    assert.ok(
      !jobText.includes(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')),
    );
    // Secret, then start: the same order as for pasted code.
    const calls = standIn.requests
      .slice(before)
      .filter((r) => r.method === 'POST')
      .map((r) => r.path);
    assert.deepEqual(calls, [
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      `/api/v1/namespaces/${namespace}/secrets`,
    ]);
  });

  test('a failed clone: the one generic answer (git’s words only in the server log), the build never runs', async () => {
    let built = false;
    const probe = 'fatal: unable to access https://10.0.0.7:2375/: Failed to connect to 10.0.0.7 port 2375';
    script = (container) => {
      if (container === 'build') built = true;
      return container === 'clone'
        ? {
            lines: ['cloning main', 'the repository could not be cloned'],
            exitCode: 1,
            message: `failed: clone\n${probe}\n`,
          }
        : ok(buildLines);
    };
    const commits: string[] = [];
    const { lines, promise } = buildAndPush({
      git: { url: repoUrl, ref: 'main', onCommit: (c) => commits.push(c) },
    });
    const err = await promise.catch((e: unknown) => e);
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message, cloneFailedMessage);
    assert.equal(built, false);
    assert.deepEqual(commits, []);
    assert.ok(!lines.join('\n').includes('10.0.0.7'), 'no address or port in the deployment’s log');
    assert.ok(
      serverLog.lines.some(
        (l) => l.includes('git clone refused or failed') && l.includes('10.0.0.7 port 2375'),
      ),
      'git’s words go to the server log',
    );
    assert.deepEqual(jobsLeft(), []);
  });

  test('a ref the repository does not have, and a repository without a Dockerfile: the deployer’s own answers', async () => {
    for (const [code, expected] of [
      ['ref', /^ref: nope does not exist in the repository$/],
      ['no-dockerfile', /^repo_url: the repository has no Dockerfile at its root$/],
      ['too-large', /^repo_url: the repository is larger than 50 MiB or 20000 files$/],
    ] as const) {
      script = (container) =>
        container === 'clone'
          ? { lines: ['cloning nope'], exitCode: 1, message: `failed: ${code}\n` }
          : ok(buildLines);
      const err = await buildAndPush({
        git: { url: repoUrl, ref: 'nope', onCommit: () => {} },
      }).promise.catch((e: unknown) => e);
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, expected);
    }
  });

  test('the API server itself refuses a Secret over 1 MiB (what the builder’s check is for)', async () => {
    const res = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'too-big' },
        data: { blob: randomBytes(1024 * 1024 + 1).toString('base64') },
      }),
    });
    assert.equal(res.status, 422);
    assert.match(((await res.json()) as { message: string }).message, /must have at most 1048576 bytes/);
  });
});

describe('the build Job as rendered', () => {
  const job = renderBuildJob(settings, {
    name: 'build-0123456789ab',
    image: 'registry.example.com/a/b:r1',
    deadlineSeconds: 900,
    pullInsecure: false,
    pushInsecure: false,
    hasAuth: true,
  });
  const secret = renderBuildSecret(
    { name: 'build-0123456789ab', namespace, uid: '6f1c1f64-3b0c-4a8e-9d43-0d4d2a2b7c10' },
    { context: Buffer.from('context'), authFile: Buffer.from('{"auths":{}}') },
  );

  const gitJob = renderBuildJob(settings, {
    name: 'build-0123456789ac',
    image: 'registry.example.com/a/b:r1',
    deadlineSeconds: 900,
    pullInsecure: false,
    pushInsecure: false,
    hasAuth: true,
    git: { url: 'https://git.example.com/team/app.git', ref: 'main', insecureRegistries: [] },
  });
  const gitSecret = renderBuildSecret(
    { name: 'build-0123456789ac', namespace, uid: '6f1c1f64-3b0c-4a8e-9d43-0d4d2a2b7c11' },
    { context: undefined, authFile: Buffer.from('{"auths":{}}') },
  );

  test('is valid against the Kubernetes OpenAPI schemas, strictly (unknown fields refused)', () => {
    assert.deepEqual(createKubeValidator().validate([job, secret]), []);
    assert.deepEqual(createKubeValidator().validate([gitJob, gitSecret]), [], 'the Job for a git source too');
  });

  test('stays within Pod Security "baseline": no privileged, no host namespaces or paths, only baseline capabilities', () => {
    // https://kubernetes.io/docs/concepts/security/pod-security-standards/ (baseline: "Capabilities").
    const baseline = new Set([
      'AUDIT_WRITE',
      'CHOWN',
      'DAC_OVERRIDE',
      'FOWNER',
      'FSETID',
      'KILL',
      'MKNOD',
      'NET_BIND_SERVICE',
      'SETFCAP',
      'SETGID',
      'SETPCAP',
      'SETUID',
      'SYS_CHROOT',
    ]);
    for (const pod of [job.spec!.template.spec!, gitJob.spec!.template.spec!]) {
      assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
      assert.ok((pod.volumes ?? []).every((v) => !v.hostPath));
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        assert.notEqual(c.securityContext?.privileged, true);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
        for (const cap of c.securityContext?.capabilities?.add ?? []) assert.ok(baseline.has(cap), cap);
        assert.notEqual(c.securityContext?.seccompProfile?.type, 'Unconfined');
        assert.ok((c.ports ?? []).every((p) => !p.hostPort));
      }
    }
  });

  test('buildah’s capabilities for RUN steps (build-job-containers.conf) are exactly the ones the pod adds', async () => {
    const conf = await readFile(
      new URL('../../../../deploy/images/build-job-containers.conf', import.meta.url),
      'utf8',
    );
    const listed = [
      ...(/default_capabilities = \[([^\]]*)\]/.exec(conf)?.[1] ?? '').matchAll(/"([A-Z_]+)"/g),
    ].map((m) => m[1]);
    assert.deepEqual(listed, [...buildJobCapabilities]);
  });
});

describe('a deployment on the kubernetes target builds through a Job and shows its log', () => {
  test('pasted code: the Job’s lines land in the deployment’s Building log, the pushed image rolls out to Stable', async () => {
    const standIn = await startKubeStandIn({
      token,
      namespaces: [namespace],
      jobRunner: scriptedJobRunner((container) =>
        container === 'build' ? ok(buildLines) : ok(pushLines, `${digest}\n`),
      ),
    });
    const kubeConfig = standInKubeConfig(standIn.url, token);
    const { log } = createCapturingLogger('kube');
    const work = await mkdtemp(join(tmpdir(), 'ashapp-job-pipeline-'));
    const registryChecker: RegistrySignInChecker = {
      verifyCredentials: async ({ registry }) => ({
        registry: registry ?? 'docker.io',
        apiHost: registry ?? '',
        scheme: 'basic',
      }),
    };
    const deployer = await startTestDeployer({
      builder: createKubernetesJobBuilder({
        log,
        kubeConfig,
        settings,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        tempDir: work,
        pollIntervalMs: 20,
      }),
      registryChecker,
      target: createKubernetesTarget({
        log,
        kubeConfig,
        validator: createManifestValidator(),
        pollIntervalMs: 10,
      }),
      config: { kubernetesHttpCheck: false, rolloutTimeoutMs: 5000 },
    });
    try {
      const login = await deployer.app.inject({
        method: 'POST',
        url: '/deployer-api/docker-login',
        payload: {
          docker_user: credentials.username,
          docker_token: credentials.password,
          registry: 'registry.example.com',
        },
        headers: identityHeaders(users.alice),
      });
      assert.equal(login.statusCode, 200, login.body);
      const res = await deployer.app.inject({
        method: 'POST',
        url: '/deployer-api/deploy',
        payload: { app_name: 'hello', code: helloCode, namespace: 'default', container_port: 5000 },
        headers: identityHeaders(users.alice),
      });
      assert.equal(res.statusCode, 202, res.body);
      await deployer.runner.idle();
      const record = (
        await deployer.app.inject({
          url: `/deployer-api/deployments/${res.json().deployment_id}`,
          headers: identityHeaders(users.alice),
        })
      ).json() as { state: string; error: string | null; events: Array<{ stage: string; text: string }> };
      assert.equal(record.state, 'Stable', record.error ?? '');
      const building = record.events.filter((e) => e.stage === 'Building').map((e) => e.text);
      for (const line of [...buildLines, ...pushLines])
        assert.ok(building.includes(line), `${line} in the log`);
      assert.ok(building.some((t) => t.includes(`built and pushed`) && t.includes(digest)));
      assert.ok(!JSON.stringify(record).includes(credentials.password));
      assert.deepEqual(standIn.list('batch', 'jobs', namespace), []);
    } finally {
      await deployer.close();
      await standIn.stop();
      await rm(work, { recursive: true, force: true });
    }
  });

  test('a Git repository: the deployer checks and does not clone; the Job clones, builds and pushes; Stable', async () => {
    const seenPods: KubeStandInObject[] = [];
    const standIn = await startKubeStandIn({
      token,
      namespaces: [namespace],
      jobRunner: scriptedJobRunner((container, run) => {
        if (container === 'clone') seenPods.push(run.pod);
        return container === 'clone'
          ? ok(cloneLines, `commit ${commit}\n`)
          : container === 'build'
            ? ok(buildLines)
            : ok(pushLines, `${digest}\n`);
      }),
    });
    const kubeConfig = standInKubeConfig(standIn.url, token);
    const { log } = createCapturingLogger('kube');
    const work = await mkdtemp(join(tmpdir(), 'ashapp-job-pipeline-'));
    const lookedUp: string[] = [];
    const deployer = await startTestDeployer({
      builder: createKubernetesJobBuilder({
        log,
        kubeConfig,
        settings,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        tempDir: work,
        pollIntervalMs: 20,
      }),
      // The deployer's checks run (DNS is the boundary: a public address); there is no sandbox to clone in.
      git: createGitSource({
        log,
        env: { PATH: '/nonexistent' },
        allowLocalPaths: true,
        tempDir: work,
        sandbox: 'none',
        lookup: async (host) => (lookedUp.push(host), ['93.184.216.34']),
      }),
      registryChecker: {
        verifyCredentials: async ({ registry }) => ({
          registry: registry ?? 'docker.io',
          apiHost: registry ?? '',
          scheme: 'basic',
        }),
      },
      target: createKubernetesTarget({
        log,
        kubeConfig,
        validator: createManifestValidator(),
        pollIntervalMs: 10,
      }),
      config: { kubernetesHttpCheck: false, rolloutTimeoutMs: 5000 },
    });
    try {
      const login = await deployer.app.inject({
        method: 'POST',
        url: '/deployer-api/docker-login',
        payload: {
          docker_user: credentials.username,
          docker_token: credentials.password,
          registry: 'registry.example.com',
        },
        headers: identityHeaders(users.alice),
      });
      assert.equal(login.statusCode, 200, login.body);
      const deploy = (payload: Record<string, unknown>) =>
        deployer.app.inject({
          method: 'POST',
          url: '/deployer-api/deploy',
          payload: { app_name: 'hello', namespace: 'default', container_port: 5000, ...payload },
          headers: identityHeaders(users.alice),
        });
      const readRecord = async (id: string) =>
        (
          await deployer.app.inject({
            url: `/deployer-api/deployments/${id}`,
            headers: identityHeaders(users.alice),
          })
        ).json() as { state: string; error: string | null; events: Array<{ stage: string; text: string }> };

      const res = await deploy({ repo_url: repoUrl, ref: 'main' });
      assert.equal(res.statusCode, 202, res.body);
      await deployer.runner.idle();
      const record = await readRecord(res.json().deployment_id);
      assert.equal(record.state, 'Stable', record.error ?? '');
      assert.deepEqual(lookedUp, ['git.example.com'], 'the host is checked in the deployer too');
      const building = record.events.filter((e) => e.stage === 'Building').map((e) => e.text);
      for (const line of [...cloneLines, ...buildLines, ...pushLines])
        assert.ok(building.includes(line), `${line} in the log`);
      assert.ok(building.includes(`checked out main at ${commit}`), building.join('\n'));
      assert.ok(building.indexOf(`checked out main at ${commit}`) < building.indexOf(buildLines[0]!));
      assert.equal(seenPods.length, 1);
      const env = seenPods[0]!.spec.initContainers[0].env as Array<{ name: string; value: string }>;
      assert.deepEqual(
        env.filter((e) => e.name.startsWith('ASHAPP_GIT_')),
        [
          { name: 'ASHAPP_GIT_URL', value: repoUrl },
          { name: 'ASHAPP_GIT_REF', value: 'main' },
        ],
      );
      assert.deepEqual(standIn.list('batch', 'jobs', namespace), []);

      // A path on the deployer's machine means nothing in the Job's pod: refused (even with local paths
      // allowed, as here), no Job created.
      const local = await deploy({ app_name: 'local', repo_url: '/srv/git/app', ref: 'main' });
      assert.equal(local.statusCode, 202, local.body);
      await deployer.runner.idle();
      const refused = await readRecord(local.json().deployment_id);
      assert.equal(refused.state, 'Failed');
      assert.match(refused.error ?? '', /repo_url: local paths are not allowed here/);
      assert.equal(seenPods.length, 1, 'no Job for a local path');
    } finally {
      await deployer.close();
      await standIn.stop();
      await rm(work, { recursive: true, force: true });
    }
  });

  function ok(lines: readonly string[], message?: string): ScriptedContainer {
    return { lines, exitCode: 0, ...(message ? { message } : {}) };
  }
});
