import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { ensureTestBaseImage } from '../../../apps/deployer/test/base-image.ts';
import { startKubeStandIn, type KubeStandIn } from '../../../apps/deployer/test/kube-stand-in.ts';
import { startLocalRegistry, type LocalRegistry } from '../../../apps/deployer/test/local-registry.ts';
import { helloCode } from '../../../apps/deployer/test/service-harness.ts';
import { buildJobCapabilities } from '../../../apps/deployer/src/build/build-job-spec.ts';
import { writeBuildContext } from '../../../apps/deployer/src/build/dockerfile.ts';
import type { ImageBuilder } from '../../../apps/deployer/src/build/image-builder.ts';
import { createKubernetesJobBuilder } from '../../../apps/deployer/src/build/kubernetes-job-builder.ts';
import { cloneFailedMessage } from '../../../apps/deployer/src/sources/git-source.ts';
import { loadKubeConfig } from '../../../apps/deployer/src/targets/kubernetes/kube-api.ts';
import { buildImages, prepareTools } from './images.ts';
import { startGitHttpsServer, type GitHttpsServer } from './git-https-server.ts';
import { createPodmanJobRunner, type PodmanRunRecord } from './podman-job-runner.ts';
import { run, type Tools } from './base-images.ts';

/**
 * A build Job for real (ADR 0027): the deployer's Kubernetes Job builder talks to the API stand-in, whose
 * "node" runs the Job's pod with podman exactly as the pod spec says (root, `drop: [ALL]` plus the measured
 * capabilities, no-new-privileges, read-only root, emptyDir, the Secret's files, limits, deadline), from the
 * deployer image built here. The pod builds the Flask sample with buildah and pushes it to a real registry;
 * for a git source its clone container clones from a git server over https on loopback (the runner uses the
 * host's network, so the build namespace's NetworkPolicy is not in play here: tests/manifests checks it).
 */

const token = 'build-job-test-token';
const namespace = 'ashapp-builds';
const tag = `jobs-${process.pid}`;

describe('a build Job’s pod, run by podman as the pod spec says, builds the Flask sample and pushes it', () => {
  let tools: Tools & { storage: { root: string; runroot: string } };
  let image: string;
  let registry: LocalRegistry | undefined;
  /** Where the base image comes from: a public registry (no credentials), as Docker Hub's python is. */
  let publicRegistry: LocalRegistry | undefined;
  let standIn: KubeStandIn | undefined;
  let builder: ImageBuilder;
  let records: PodmanRunRecord[];
  let baseImage: string;
  let work: string;
  let git: GitHttpsServer | undefined;

  before(async () => {
    tools = await prepareTools();
    image = (await buildImages(tools, tag, ['deployer'])).images.deployer;
    registry = await startLocalRegistry();
    publicRegistry = await startLocalRegistry({ anonymous: true });
    const pybase = await ensureTestBaseImage({
      env: tools.env,
      storage: tools.storage,
      registry: publicRegistry,
    });
    baseImage = pybase.registryImage!;
    git = await startGitHttpsServer();
    const gitServer = git;
    // `hostUsers: false` (the default the deployer asks for): the pod's ids mapped to 300000–365535 here.
    const podman = createPodmanJobRunner({
      tools,
      userNamespace: { start: 300_000, size: 65_536 },
      // The test's git server has a self-signed certificate: the clone container trusts it as the system
      // bundle (as a node image with the operator's CA would); nothing in the Job spec changes.
      extraArgs: (container) =>
        container.name === 'clone'
          ? ['-v', `${gitServer.certificateFile}:/etc/ssl/certs/ca-certificates.crt:ro`]
          : [],
    });
    records = podman.records;
    standIn = await startKubeStandIn({ token, namespaces: [namespace], jobRunner: podman.runner });
    work = await mkdtemp(path.join(tmpdir(), 'ashapp-build-job-test-'));
    const kubeconfigFile = path.join(work, 'kubeconfig');
    await writeFile(
      kubeconfigFile,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: stand-in, cluster: {server: "${standIn.url}", insecure-skip-tls-verify: true}}]`,
        `users: [{name: deployer, user: {token: "${token}"}}]`,
        'contexts: [{name: stand-in, context: {cluster: stand-in, user: deployer}}]',
        'current-context: stand-in',
        '',
      ].join('\n'),
    );
    const kubeConfig = loadKubeConfig(kubeconfigFile);
    builder = createKubernetesJobBuilder({
      log: createCapturingLogger('job').log,
      kubeConfig,
      settings: {
        namespace,
        image,
        cpu: 1,
        memoryBytes: 1024 * 1024 * 1024,
        ephemeralStorageBytes: 4096 * 1024 * 1024,
        hostUsers: false,
        ttlSecondsAfterFinished: 600,
      },
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      tempDir: work,
      pollIntervalMs: 250,
    });
  });

  after(async () => {
    await standIn?.stop();
    await registry?.stop();
    await publicRegistry?.stop();
    await git?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    await run('podman', ['rmi', '-f', `localhost/ashapp-deployer:${tag}`], { env: tools.env }).catch(
      () => '',
    );
  });

  async function context(name: string, dockerfile?: string): Promise<string> {
    const dir = path.join(work, name);
    await writeBuildContext({
      dir,
      code: helloCode,
      appVariable: 'app',
      appHasHealthRoute: false,
      containerPort: 5000,
      baseImage,
      // The test base has Flask and gunicorn from Debian: no pip (and no network to an index) needed.
      runtimeInstalled: true,
    });
    if (dockerfile) await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
    return dir;
  }

  test('builds (RUN steps as root and as the app user included) and pushes; the digest read from the pod is the one the registry serves', async () => {
    const dir = await context('hello');
    // The generated Dockerfile (its base has Flask already, so it has no pip RUN): add a RUN step as root
    // and one as the app's user, which needs the setuid/setgid the Job grants.
    const dockerfile = path.join(dir, 'Dockerfile');
    const generated = await readFile(dockerfile, 'utf8');
    await writeFile(
      dockerfile,
      generated
        .replace(/^COPY /m, 'RUN ["python3", "-c", "import flask, gunicorn; print(\'runtime ok\')"]\nCOPY ')
        .replace(/^(USER .*)$/m, '$1\nRUN ["python3", "-c", "import os; print(\'uid\', os.getuid())"]'),
    );
    const target = `${registry!.host}/ashapp/hello:r1-job`;
    const lines: string[] = [];
    const result = await builder.buildAndPush!({
      contextDir: dir,
      image: target,
      log: (line) => lines.push(line),
      insecureRegistries: [publicRegistry!.host, registry!.host],
      timeoutMs: 10 * 60_000,
      push: {
        registry: registry!.host,
        credentials: { username: registry!.username, password: registry!.password },
        insecure: true,
      },
    });
    const log = lines.join('\n');
    assert.match(result.digest ?? '', /^sha256:[0-9a-f]{64}$/, log);
    assert.match(log, /^runtime ok$/m, 'the RUN step as root ran');
    assert.match(log, /^uid 10001$/m, 'the RUN step as the app user ran');
    assert.match(log, /Writing manifest to image destination/);
    assert.ok(!log.includes(registry!.password), 'the credentials never reach the log');

    const res = await fetch(`${registry!.url}/v2/ashapp/hello/manifests/r1-job`, {
      method: 'HEAD',
      headers: {
        authorization: `Basic ${Buffer.from(`${registry!.username}:${registry!.password}`).toString('base64')}`,
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), result.digest);

    // The pod ran as specified: both containers root with drop ALL + the measured set, no new privileges,
    // read-only root, limits; only the push container had the credentials.
    const ran = records.slice(-2);
    assert.deepEqual(
      ran.map((r) => [r.container, r.exitCode]),
      [
        ['build', 0],
        ['push', 0],
      ],
    );
    for (const r of ran) {
      const pairs = (flag: string) => r.args.flatMap((a, i) => (r.args[i - 1] === flag ? [a] : []));
      assert.deepEqual(pairs('--user'), ['0:0']);
      assert.deepEqual(
        pairs('--uidmap'),
        ['0:300000:65536'],
        'root in the pod is an unprivileged id on the host',
      );
      assert.deepEqual(pairs('--cap-drop'), ['ALL']);
      assert.deepEqual(pairs('--cap-add'), [...buildJobCapabilities]);
      assert.deepEqual(pairs('--security-opt'), ['no-new-privileges']);
      assert.ok(r.args.includes('--read-only') && r.args.includes('--read-only-tmpfs=false'));
      assert.deepEqual(pairs('--memory'), ['1024m']);
      assert.deepEqual(pairs('--cpus'), ['1']);
      assert.equal(
        pairs('-v').some((v) => v.includes(':/run/ashapp/auth:')),
        r.container === 'push',
      );
      assert.ok(!r.args.join(' ').includes(registry!.password), 'no credentials in args or env');
    }
    assert.deepEqual(standIn!.list('batch', 'jobs', namespace), [], 'the Job is deleted when done');
    assert.deepEqual(standIn!.list('', 'secrets', namespace), []);
  });

  test('a git source: the clone container (non-root, no capabilities) clones over https, the build uses the repository’s own Dockerfile, the push pushes', async () => {
    const commit = await git!.addRepository('team-app', {
      Dockerfile: `FROM ${baseImage}\nRUN ["python3", "-c", "print('built from the repository')"]\nCOPY app.py /srv/app.py\n`,
      'app.py': 'print("hello")\n',
    });
    const target = `${registry!.host}/ashapp/team-app:r1-git`;
    const lines: string[] = [];
    const commits: string[] = [];
    const before = records.length;
    const result = await builder.buildAndPush!({
      git: { url: `${git!.url}/team-app.git`, ref: 'main', onCommit: (c) => commits.push(c) },
      image: target,
      log: (line) => lines.push(line),
      insecureRegistries: [publicRegistry!.host, registry!.host],
      timeoutMs: 10 * 60_000,
      push: {
        registry: registry!.host,
        credentials: { username: registry!.username, password: registry!.password },
        insecure: true,
      },
    });
    const log = lines.join('\n');
    assert.match(result.digest ?? '', /^sha256:[0-9a-f]{64}$/, log);
    assert.deepEqual(commits, [commit], 'the commit the clone checked out is the repository’s');
    assert.match(log, /^cloning main$/m);
    assert.match(log, /^cloned main$/m);
    assert.match(log, /^built from the repository$/m, 'the repository’s own Dockerfile was built');
    assert.ok(
      git!.requests.some((r) => r === 'POST /team-app.git/git-upload-pack'),
      'the clone came from the test’s git server',
    );
    assert.ok(!log.includes(registry!.password));

    const res = await fetch(`${registry!.url}/v2/ashapp/team-app/manifests/r1-git`, {
      method: 'HEAD',
      headers: {
        authorization: `Basic ${Buffer.from(`${registry!.username}:${registry!.password}`).toString('base64')}`,
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), result.digest);

    const ran = records.slice(before);
    assert.deepEqual(
      ran.map((r) => [r.container, r.exitCode]),
      [
        ['clone', 0],
        ['build', 0],
        ['push', 0],
      ],
    );
    const clone = ran[0]!;
    const pairs = (flag: string) => clone.args.flatMap((a, i) => (clone.args[i - 1] === flag ? [a] : []));
    assert.deepEqual(pairs('--user'), ['1000:1000'], 'the clone runs as the image’s own non-root user');
    assert.deepEqual(pairs('--uidmap'), ['0:300000:65536']);
    assert.deepEqual(pairs('--cap-drop'), ['ALL']);
    assert.deepEqual(pairs('--cap-add'), [], 'no capability at all');
    assert.deepEqual(pairs('--security-opt'), ['no-new-privileges']);
    assert.ok(clone.args.includes('--read-only'));
    assert.ok(
      !pairs('-v').some((v) => v.includes(':/run/ashapp/')),
      'the clone mounts no Secret (no context, no credentials)',
    );
    assert.ok(clone.args.includes(`ASHAPP_GIT_URL=${git!.url}/team-app.git`));
    assert.deepEqual(standIn!.list('batch', 'jobs', namespace), []);
    assert.deepEqual(standIn!.list('', 'secrets', namespace), []);
  });

  test('a git clone that fails: a missing repository gets the generic answer, a missing ref its own; the build never starts', async () => {
    await git!.addRepository('other', { Dockerfile: `FROM ${baseImage}\n` });
    for (const [repo, ref, expected] of [
      ['missing', 'main', new RegExp(`^${cloneFailedMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)],
      ['other', 'nope', /^ref: nope does not exist in the repository$/],
    ] as const) {
      const before = records.length;
      const lines: string[] = [];
      const err = await builder.buildAndPush!({
        git: { url: `${git!.url}/${repo}.git`, ref, onCommit: () => undefined },
        image: `${registry!.host}/ashapp/${repo}:r1`,
        log: (line) => lines.push(line),
        insecureRegistries: [publicRegistry!.host, registry!.host],
        timeoutMs: 10 * 60_000,
        push: { registry: registry!.host, insecure: true },
      }).catch((e: unknown) => e);
      assert.match(String((err as Error).message), expected);
      assert.deepEqual(
        records.slice(before).map((r) => [r.container, r.exitCode]),
        [['clone', 1]],
      );
      assert.ok(!lines.join('\n').includes('127.0.0.1'), 'no address in the deployment’s log');
    }
  });

  test('a failing RUN step fails the build with its output as the reason; nothing is pushed', async () => {
    const dir = await context('broken', `FROM ${baseImage}\nRUN echo "compiling" && exit 3\n`);
    const before = records.length;
    await assert.rejects(
      builder.buildAndPush!({
        contextDir: dir,
        image: `${registry!.host}/ashapp/broken:r1`,
        log: () => undefined,
        insecureRegistries: [publicRegistry!.host, registry!.host],
        timeoutMs: 10 * 60_000,
        push: { registry: registry!.host, insecure: true },
      }),
      /image build failed: .*exit status 3/,
    );
    const ran = records.slice(before);
    assert.deepEqual(
      ran.map((r) => r.container),
      ['build'],
      'the push container never started',
    );
    assert.equal(ran[0]!.exitCode, 3, 'buildah exits with the RUN step’s status');
  });

  test('activeDeadlineSeconds: a build that runs past it is stopped, its container removed, the reason says so', async () => {
    const dir = await context(
      'slow',
      `FROM ${baseImage}\nRUN ["python3", "-c", "import time; time.sleep(600)"]\n`,
    );
    const started = Date.now();
    await assert.rejects(
      builder.buildAndPush!({
        contextDir: dir,
        image: `${registry!.host}/ashapp/slow:r1`,
        log: () => undefined,
        insecureRegistries: [publicRegistry!.host, registry!.host],
        timeoutMs: 20_000,
        push: { registry: registry!.host, insecure: true },
      }),
      /timed out: the build Job ran past its 20 s deadline/,
    );
    assert.ok(Date.now() - started < 60_000);
    // The node removes the pod's container (asynchronously, as a kubelet does): gone within 30 s.
    let left = '';
    for (let i = 0; i < 60; i++) {
      left = await run('podman', ['ps', '-a', '--format', '{{.Names}}'], { env: tools.env });
      if (!/^build-[0-9a-f]{12}-\w{5}-build$/m.test(left)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(!/^build-[0-9a-f]{12}-\w{5}-build$/m.test(left), `no build container left: ${left}`);
  });
});
