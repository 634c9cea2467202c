import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError, UpstreamError, type Logger } from '@ashapp/platform';
import { runCommand, summarizeOutput } from '../process/run-command.ts';
import { withTemporaryAuthFile } from '../registry/auth-file.ts';
import type { BuildSandbox } from '../sandbox/build-sandbox.ts';
import { parseFromImages } from './dockerfile-from.ts';
import { readImageRegistry, type ImageBuilder } from './image-builder.ts';
import { runSandboxedBuild } from './sandboxed-build.ts';

export interface ContainerStorage {
  /** Passed as `--root` / `--runroot`: keeps tests and the service off the host's default store. */
  root: string;
  runroot: string;
}

export interface BuildahBuilderOptions {
  log: Logger;
  /** The child's environment; must carry PATH and CONTAINERS_CONF (the project's containers.conf). */
  env: Readonly<Record<string, string>>;
  buildah?: string;
  storage?: ContainerStorage;
  /** Where temporary auth and digest files go. */
  tempDir?: string;
  /**
   * Where RUN steps execute: a build sandbox (own user, network and PID namespaces, cgroup limits), or
   * `none` for the operator's explicit choice of unsandboxed builds (DEPLOYER_BUILD_SANDBOX=off).
   */
  sandbox: BuildSandbox | 'none';
  /**
   * Registries the operator trusts (the configured base image's, the insecure ones): their images are
   * pulled before the build on the host network. Everything else is pulled from inside the sandbox
   * network, so a Dockerfile cannot make the host reach a private address through a FROM line.
   */
  trustedRegistries?: readonly string[];
}

export function readStorageArgs(storage: ContainerStorage | undefined): string[] {
  return storage ? ['--root', storage.root, '--runroot', storage.runroot] : [];
}

/**
 * Daemonless builds with buildah. `--isolation chroot` because OCI isolation needs a runtime that works
 * under the host's cgroup setup, which is not a given; `--layers` keeps intermediate layers so a redeploy
 * of unchanged dependencies reuses them.
 */
export function createBuildahBuilder(options: BuildahBuilderOptions): ImageBuilder {
  const buildah = options.buildah ?? 'buildah';
  const globalArgs = readStorageArgs(options.storage);
  const tempDir = options.tempDir ?? tmpdir();
  const trusted = new Set(options.trustedRegistries ?? []);

  return {
    name: 'buildah',
    async available() {
      try {
        const result = await runCommand({
          command: buildah,
          args: ['--version'],
          env: options.env,
          timeoutMs: 10_000,
        });
        return result.code === 0;
      } catch {
        return false;
      }
    },
    async build(request) {
      const fromImages = await readFromImages(request.contextDir);
      if (options.sandbox !== 'none') {
        return runSandboxedBuild(request, {
          buildah,
          sandbox: options.sandbox,
          rootStorageArgs: globalArgs,
          env: options.env,
          trusted,
          fromImages,
        });
      }
      const started = Date.now();
      const work = await mkdtemp(join(tempDir, 'ashapp-build-'));
      try {
        const iidFile = join(work, 'iid');
        const args = [
          ...globalArgs,
          'bud',
          '--isolation',
          'chroot',
          '--layers',
          `--pull=${request.pull === 'missing' ? 'false' : 'never'}`,
          '--iidfile',
          iidFile,
          '-t',
          request.image,
        ];
        const first = fromImages[0];
        if (first && request.insecureRegistries?.includes(readImageRegistry(first)))
          args.push('--tls-verify=false');
        args.push(request.contextDir);
        const result = await runCommand({
          command: buildah,
          args,
          env: options.env,
          timeoutMs: request.timeoutMs ?? 10 * 60_000,
          onLine: (line) => request.log(line),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        if (result.timedOut) throw new UpstreamError('image build timed out');
        if (result.code !== 0) throw new UpstreamError(`image build failed: ${summarizeOutput(result, 3)}`);
        const imageId = (await readFile(iidFile, 'utf8').catch(() => '')).trim() || undefined;
        return { imageId, durationMs: Date.now() - started };
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    async push(request) {
      const started = Date.now();
      const registry = readImageRegistry(request.image);
      const entries = request.credentials
        ? [...new Set([registry, request.registry])].map((r) => ({
            registry: r,
            credentials: request.credentials!,
          }))
        : [];
      return withTemporaryAuthFile(
        entries,
        async (authFile) => {
          const digestFile = join(authFile.dir, 'digest');
          const args = [
            ...globalArgs,
            'push',
            '--authfile',
            authFile.path,
            `--tls-verify=${request.insecure ? 'false' : 'true'}`,
            '--digestfile',
            digestFile,
            '--retry',
            '1',
            request.image,
            `docker://${request.image}`,
          ];
          const result = await runCommand({
            command: buildah,
            args,
            env: options.env,
            timeoutMs: request.timeoutMs ?? 10 * 60_000,
            onLine: (line) => request.log(line),
            ...(request.signal ? { signal: request.signal } : {}),
          });
          if (result.timedOut) throw new UpstreamError('image push timed out');
          if (result.code !== 0) {
            const reason = /unauthorized|authentication required|denied/i.test(result.stderr)
              ? 'the registry refused the credentials'
              : summarizeOutput(result, 3);
            throw new UpstreamError(`image push failed: ${reason}`);
          }
          const digest = (await readFile(digestFile, 'utf8').catch(() => '')).trim() || undefined;
          options.log.debug({ image: request.image, digest }, 'image pushed');
          return { digest, durationMs: Date.now() - started };
        },
        { parentDir: tempDir },
      );
    },
    async removeImage(image) {
      const result = await runCommand({
        command: buildah,
        args: [...globalArgs, 'rmi', '-f', image],
        env: options.env,
        timeoutMs: 60_000,
      });
      if (result.code !== 0 && !/image not known|not found|unknown/i.test(result.stderr)) {
        throw new UnavailableError(`could not remove image: ${summarizeOutput(result, 2)}`);
      }
    },
  };
}

/**
 * The images the Dockerfile's FROM lines name, without build stages and `scratch`; lines using build
 * arguments are skipped (their image is pulled inside the sandbox, if at all).
 */
export async function readFromImages(contextDir: string): Promise<string[]> {
  return parseFromImages(await readFile(join(contextDir, 'Dockerfile'), 'utf8').catch(() => ''));
}
