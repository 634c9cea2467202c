import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError, UpstreamError } from '@ashapp/platform';
import { runCommand, summarizeOutput, type CommandResult } from '../process/run-command.ts';
import {
  SandboxUnavailableError,
  type BuildSandbox,
  type SandboxRunRequest,
} from '../sandbox/build-sandbox.ts';
import { isDiskFull } from '../sandbox/build-disk.ts';
import { readImageRegistry, type BuildRequest, type BuildResult } from './image-builder.ts';

export interface SandboxedBuildOptions {
  buildah: string;
  sandbox: BuildSandbox;
  /** Storage flags of the service's own (root) store, where results go and local base images come from. */
  rootStorageArgs: readonly string[];
  env: Readonly<Record<string, string>>;
  trusted: ReadonlySet<string>;
  fromImages: readonly string[];
}

/**
 * A build by rootless buildah as the sandbox user, in its own storage:
 * 1. base images the Dockerfile names come into the user's store: from the service's store when present
 *    there (exported as an uncompressed OCI layout), else pulled by the user on the host network when the
 *    operator trusts their registry; anything else the build pulls itself, through the sandbox network;
 * 2. `buildah bud` runs in the sandbox (own network with the egress rules, PID namespace, cgroups);
 * 3. the result is exported the same way into the service's store and tagged there, so push and the podman
 *    target work as before. Ownership stays right: the user's store holds ids as seen inside its namespace.
 */
/**
 * The name `buildah pull oci:<dir>` gives an image (buildah 1.28 has no `untag`; `rmi` of one of several
 * names only removes that name). Dropped so no per-build folder names pile up in either store.
 */
function layoutImageName(layout: string): string {
  return `localhost${layout}:latest`;
}

export async function runSandboxedBuild(
  request: BuildRequest,
  options: SandboxedBuildOptions,
): Promise<BuildResult> {
  const { buildah, sandbox, env } = options;
  const started = Date.now();
  const timeoutMs = request.timeoutMs ?? 10 * 60_000;
  const signal = request.signal ? { signal: request.signal } : {};
  const insecure = (ref: string) => request.insecureRegistries?.includes(readImageRegistry(ref)) ?? false;
  const workspace = await sandbox.createWorkspace().catch((err: unknown) => {
    if (err instanceof SandboxUnavailableError) throw new UnavailableError(err.message);
    throw err;
  });
  /** `stream`: the user's own build, whose output is shown; the other steps are the service's own work. */
  /**
   * `store`: `shared` is the build user's store, where base images are handed over once and kept; `build`
   * is this build's own (on its bounded disk when there is a disk limit).
   */
  const inSandbox = async (
    args: string[],
    network: SandboxRunRequest['network'],
    options: { stream?: boolean; store?: 'shared' | 'build' } = {},
  ): Promise<CommandResult & { oomKilled: boolean }> => {
    const stream = options.stream ?? false;
    try {
      return await sandbox.run({
        command: buildah,
        args: [...(options.store === 'build' ? workspace.storageArgs : sandbox.storageArgs), ...args],
        tmpDir: workspace.tmpDir,
        env,
        timeoutMs,
        network,
        asUser: true,
        ...(stream ? { onLine: (line: string) => request.log(line) } : { limitFileSize: false }),
        ...signal,
      });
    } catch (err) {
      if (err instanceof SandboxUnavailableError) throw new UnavailableError(err.message);
      throw err;
    }
  };
  const asRoot = (args: string[]) =>
    runCommand({ command: buildah, args: [...options.rootStorageArgs, ...args], env, timeoutMs, ...signal });

  try {
    const contextDir = await workspace.copyIn(request.contextDir, 'context');
    for (const [index, ref] of options.fromImages.entries()) {
      if ((await inSandbox(['inspect', '--type', 'image', ref], 'none')).code === 0) continue;
      if ((await asRoot(['inspect', '--type', 'image', ref])).code === 0) {
        const layout = join(workspace.dir, `base-${index}`);
        const exported = await asRoot(['push', '--quiet', '--disable-compression', ref, `oci:${layout}`]);
        if (exported.code !== 0)
          throw new UpstreamError(
            `could not hand the base image ${ref} to the build: ${summarizeOutput(exported, 2)}`,
          );
        await workspace.giveToUser(layout);
        const imported = await inSandbox(['pull', '--quiet', `oci:${layout}`], 'none');
        const id = imported.stdout.trim().split('\n').pop() ?? '';
        if (imported.code !== 0 || (await inSandbox(['tag', id, ref], 'none')).code !== 0) {
          throw new UpstreamError(
            `could not hand the base image ${ref} to the build: ${summarizeOutput(imported, 2)}`,
          );
        }
        await inSandbox(['rmi', layoutImageName(layout)], 'none');
        // The hand-over copy sits on the build's bounded disk: gone before the build needs the space.
        await rm(layout, { recursive: true, force: true });
      } else if (request.pull === 'missing' && options.trusted.has(readImageRegistry(ref))) {
        const pulled = await inSandbox(
          ['pull', '--quiet', `--tls-verify=${insecure(ref) ? 'false' : 'true'}`, ref],
          'host',
        );
        if (pulled.timedOut) throw new UpstreamError('pulling the base image timed out');
        if (pulled.code !== 0)
          throw new UpstreamError(`pulling the base image ${ref} failed: ${summarizeOutput(pulled, 2)}`);
      }
    }

    const iidFile = join(workspace.dir, 'iid');
    const args = [
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
    const first = options.fromImages[0];
    if (first && insecure(first)) args.push('--tls-verify=false');
    args.push(contextDir);
    const built = await inSandbox(args, 'outside', { stream: true, store: 'build' });
    if (built.timedOut) throw new UpstreamError('image build timed out');
    if (built.oomKilled) {
      throw new UpstreamError(
        `image build failed: it ran out of memory (the limit is ${Math.round(sandbox.limits.memoryBytes / 1024 / 1024)} MiB)`,
      );
    }
    if (built.code !== 0) {
      if (workspace.diskLimitBytes !== undefined && isDiskFull(`${built.stdout}\n${built.stderr}`))
        throw new UpstreamError(
          `image build failed: it wrote more than its disk limit of ${Math.round(workspace.diskLimitBytes / 1024 / 1024)} MiB (the build's files, layers and temporary files together)`,
        );
      throw new UpstreamError(`image build failed: ${summarizeOutput(built, 3)}`);
    }

    const layout = join(workspace.dir, 'result');
    const exported = await inSandbox(
      ['push', '--quiet', '--disable-compression', request.image, `oci:${layout}`],
      'none',
      { store: 'build' },
    );
    if (exported.code !== 0) {
      if (workspace.diskLimitBytes !== undefined && isDiskFull(`${exported.stdout}\n${exported.stderr}`))
        throw new UpstreamError(
          `could not export the built image: the image does not fit in the build's disk limit of ${Math.round(workspace.diskLimitBytes / 1024 / 1024)} MiB beside its layers`,
        );
      throw new UpstreamError(`could not export the built image: ${summarizeOutput(exported, 2)}`);
    }
    const imported = await asRoot(['pull', '--quiet', `oci:${layout}`]);
    const imageId = imported.stdout.trim().split('\n').pop() ?? '';
    if (imported.code !== 0 || !imageId || (await asRoot(['tag', imageId, request.image])).code !== 0) {
      throw new UpstreamError(`could not import the built image: ${summarizeOutput(imported, 2)}`);
    }
    await asRoot(['rmi', layoutImageName(layout)]);
    // A shared user store keeps the cached layers (a rebuild reuses them), not the final image; a build's
    // own store goes with its workspace.
    if (workspace.diskLimitBytes === undefined)
      await inSandbox(['rmi', request.image], 'none', { store: 'build' });
    const iid = (await readFile(iidFile, 'utf8').catch(() => '')).trim();
    return { imageId: imageId || iid || undefined, durationMs: Date.now() - started };
  } finally {
    await workspace.remove();
  }
}
