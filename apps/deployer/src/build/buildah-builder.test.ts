import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { UpstreamError } from '@ashapp/platform';
import { createBuildahBuilder, readStorageArgs } from './buildah-builder.ts';
import { runCommand } from '../process/run-command.ts';
import { createDockerBuilder } from './docker-builder.ts';
import { selectImageBuilder } from './image-builder.ts';
import { writeBuildContext } from './dockerfile.ts';
import { startLocalRegistry, type LocalRegistry } from '../../test/local-registry.ts';
import { ensureTestBaseImage, type TestBaseImage } from '../../test/base-image.ts';
import { readTestChildEnv, readTestStorage } from '../../test/containers-env.ts';
import { createTestBuildSandbox } from '../../test/build-sandbox.ts';

const log = pino({ level: 'silent' });
const env = readTestChildEnv();
const storage = readTestStorage();
const sandbox = createTestBuildSandbox();

describe('buildah builder (real buildah in the build sandbox, real docker-registry)', () => {
  let registry: LocalRegistry;
  let base: TestBaseImage;
  let work: string;
  const builder = createBuildahBuilder({ log, env, storage, sandbox });
  const image = () => `${registry.host}/builder-test:r1`;

  before(async () => {
    registry = await startLocalRegistry();
    base = await ensureTestBaseImage({ env, storage });
    work = await mkdtemp(join(tmpdir(), 'ashapp-builder-test-'));
  });
  after(async () => {
    await builder.removeImage(image()).catch(() => undefined);
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('is available on this machine and is chosen by auto when no Docker daemon answers', async () => {
    assert.equal(await builder.available(), true);
    const docker = createDockerBuilder({ log, env });
    const dockerAnswers = await docker.available();
    const chosen = await selectImageBuilder('auto', [docker, builder]);
    assert.equal(chosen?.name, dockerAnswers ? 'docker' : 'buildah');
    assert.equal((await selectImageBuilder('buildah', [docker, builder]))?.name, 'buildah');
  });

  test('builds the generated context on the local base image and streams the log line by line', async () => {
    const contextDir = join(work, 'ctx');
    await writeBuildContext({
      dir: contextDir,
      code: 'from flask import Flask\napp = Flask(__name__)\n',
      appVariable: 'app',
      appHasHealthRoute: false,
      containerPort: 5000,
      baseImage: base.localImage,
      runtimeInstalled: true,
    });
    const lines: string[] = [];
    const result = await builder.build({
      contextDir,
      image: image(),
      log: (l) => lines.push(l),
      pull: 'never',
    });
    assert.match(result.imageId ?? '', /^(sha256:)?[0-9a-f]{64}$/);
    assert.ok(
      lines.some((l) => l.startsWith('STEP 1/')),
      'build steps are streamed',
    );
    assert.ok(lines.every((l) => !l.includes('\n')));
    // The sandboxed build hands the image over through a folder; no name of that folder is left behind.
    const names = await runCommand({
      command: 'buildah',
      args: [...readStorageArgs(storage), 'images', '--format', '{{.Name}}:{{.Tag}} {{.ID}}'],
      env,
      timeoutMs: 60_000,
    });
    assert.match(
      names.stdout,
      new RegExp(
        `^${image().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+${result.imageId?.replace(/^sha256:/, '').slice(0, 12)}`,
        'm',
      ),
    );
    assert.doesNotMatch(names.stdout, /build-sandbox\/builds/);
  });

  test('pushes with credentials from a temporary auth file that is removed afterwards', async () => {
    const tempDir = await mkdtemp(join(work, 'auth-'));
    const withTemp = createBuildahBuilder({ log, env, storage, tempDir, sandbox });
    const result = await withTemp.push({
      image: image(),
      registry: registry.host,
      credentials: { username: registry.username, password: registry.password },
      insecure: true,
      log: () => undefined,
    });
    assert.match(result.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(await readdir(tempDir), []);
    const manifest = await fetch(`${registry.url}/v2/builder-test/manifests/r1`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
        accept: 'application/vnd.oci.image.manifest.v1+json',
      },
    });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), result.digest);
  });

  test('fails the push with a clear reason when the registry refuses the credentials', async () => {
    await assert.rejects(
      builder.push({
        image: image(),
        registry: registry.host,
        credentials: { username: registry.username, password: 'wrong' },
        insecure: true,
        log: () => undefined,
      }),
      (err: unknown) => err instanceof UpstreamError && /refused the credentials/.test(err.message),
    );
  });

  test('fails the build with the reason when the Dockerfile is broken', async () => {
    const contextDir = join(work, 'broken');
    await writeBuildContext({
      dir: contextDir,
      code: 'x',
      appVariable: 'app',
      appHasHealthRoute: false,
      containerPort: 5000,
      baseImage: 'localhost/does-not-exist:1',
      runtimeInstalled: true,
    });
    await assert.rejects(
      builder.build({ contextDir, image: `${registry.host}/broken:1`, log: () => undefined, pull: 'never' }),
      UpstreamError,
    );
  });
});
