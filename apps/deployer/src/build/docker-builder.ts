import { UnavailableError, UpstreamError, type Logger } from '@ashapp/platform';
import { runCommand, summarizeOutput } from '../process/run-command.ts';
import { withTemporaryAuthFile } from '../registry/auth-file.ts';
import { readImageRegistry, type ImageBuilder } from './image-builder.ts';

export interface DockerBuilderOptions {
  log: Logger;
  env: Readonly<Record<string, string>>;
  docker?: string;
  tempDir?: string;
}

/**
 * Builds with a Docker daemon. Only offered when `docker info` answers: the CLI alone is not enough.
 * Plain-HTTP registries must be configured in the daemon itself (`insecure-registries`); the CLI cannot.
 */
export function createDockerBuilder(options: DockerBuilderOptions): ImageBuilder {
  const docker = options.docker ?? 'docker';
  return {
    name: 'docker',
    async available() {
      try {
        const result = await runCommand({
          command: docker,
          args: ['info', '--format', '{{.ServerVersion}}'],
          env: options.env,
          timeoutMs: 10_000,
        });
        return result.code === 0 && result.stdout.trim().length > 0;
      } catch {
        return false;
      }
    },
    async build(request) {
      const started = Date.now();
      const args = ['build', '--progress=plain', '-t', request.image];
      if (request.pull === 'never') args.push('--pull=false');
      args.push(request.contextDir);
      const result = await runCommand({
        command: docker,
        args,
        env: { ...options.env, DOCKER_BUILDKIT: '1' },
        timeoutMs: request.timeoutMs ?? 10 * 60_000,
        onLine: (line) => request.log(line),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      if (result.timedOut) throw new UpstreamError('image build timed out');
      if (result.code !== 0) throw new UpstreamError(`image build failed: ${summarizeOutput(result, 3)}`);
      const inspect = await runCommand({
        command: docker,
        args: ['image', 'inspect', '--format', '{{.Id}}', request.image],
        env: options.env,
        timeoutMs: 30_000,
      });
      return { imageId: inspect.stdout.trim() || undefined, durationMs: Date.now() - started };
    },
    async push(request) {
      const started = Date.now();
      const registry = readImageRegistry(request.image);
      // Docker's config.json names Docker Hub by its legacy index URL.
      const hubKey = 'https://index.docker.io/v1/';
      const key = registry === 'docker.io' ? hubKey : registry;
      const entries = request.credentials ? [{ registry: key, credentials: request.credentials }] : [];
      return withTemporaryAuthFile(
        entries,
        async (authFile) => {
          const result = await runCommand({
            command: docker,
            args: ['--config', authFile.dir, 'push', request.image],
            env: options.env,
            timeoutMs: request.timeoutMs ?? 10 * 60_000,
            onLine: (line) => request.log(line),
            ...(request.signal ? { signal: request.signal } : {}),
          });
          if (result.timedOut) throw new UpstreamError('image push timed out');
          if (result.code !== 0) throw new UpstreamError(`image push failed: ${summarizeOutput(result, 3)}`);
          const digest = /digest: (sha256:[0-9a-f]{64})/.exec(result.stdout)?.[1];
          return { digest, durationMs: Date.now() - started };
        },
        { parentDir: options.tempDir },
      );
    },
    async removeImage(image) {
      const result = await runCommand({
        command: docker,
        args: ['rmi', '-f', image],
        env: options.env,
        timeoutMs: 60_000,
      });
      if (result.code !== 0 && !/No such image/i.test(result.stderr)) {
        throw new UnavailableError(`could not remove image: ${summarizeOutput(result, 2)}`);
      }
    },
  };
}
