import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import { InputError, UnavailableError, UpstreamError, type Logger } from '@ashapp/platform';
import { runCommand } from '../process/run-command.ts';
import { renderAuthFile } from '../registry/auth-file.ts';
import { cloneFailedMessage } from '../sources/git-source.ts';
import { defaultCheckoutLimits } from '../sources/git-clone-command.ts';
import { describeApiError, isNotFound, loadKubeClient } from '../targets/kubernetes/kube-api.ts';
import { readFromImages } from './buildah-builder.ts';
import {
  maxSecretBytes,
  renderBuildJob,
  renderBuildSecret,
  type BuildJobSettings,
} from './build-job-spec.ts';
import { readImageRegistry, type ImageBuilder, type LogLine } from './image-builder.ts';

export interface KubernetesJobBuilderOptions {
  log: Logger;
  kubeConfig: k8s.KubeConfig;
  settings: BuildJobSettings;
  /** PATH for `tar`, which packs the build context. */
  env: Readonly<Record<string, string>>;
  /** Where the packed context is written before it goes into the Secret. */
  tempDir: string;
  pollIntervalMs?: number;
}

/** A pod that is stuck in one of these will not start by waiting: the build fails at once with it. */
const fatalWaiting = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);
type StepName = 'clone' | 'build' | 'push';

interface LogFollower {
  done: Promise<void>;
  /** Set once the stream has ended (the container exited, or the stream was cut). */
  ended: boolean;
  lines: string[];
  stop(): void;
}

/** Streams one container's log (`follow=true`) line by line into the deployment's log. */
async function followContainerLog(
  log: k8s.Log,
  at: { namespace: string; pod: string; container: string },
  onLine: LogLine,
): Promise<LogFollower> {
  const lines: string[] = [];
  let pending = '';
  let resolveDone = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const emit = (line: string) => {
    lines.push(line);
    if (lines.length > 50) lines.shift();
    onLine(line);
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const parts = (pending + chunk.toString('utf8')).split(/\r?\n/);
      pending = parts.pop() ?? '';
      for (const line of parts) emit(line);
      callback();
    },
    final(callback) {
      if (pending) emit(pending);
      pending = '';
      callback();
    },
  });
  sink.once('finish', resolveDone);
  sink.once('close', resolveDone);
  sink.once('error', resolveDone);
  let controller: AbortController | undefined;
  try {
    controller = await log.log(at.namespace, at.pod, at.container, sink, { follow: true });
  } catch (err) {
    resolveDone();
    onLine(`(the ${at.container} log could not be read: ${describeApiError(err)})`);
  }
  const follower: LogFollower = { done, ended: false, lines, stop: () => controller?.abort() };
  void done.then(() => (follower.ended = true));
  return follower;
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

function lastLines(lines: readonly string[], count: number): string {
  return lines
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}

/**
 * Builds as a Kubernetes Job in its own namespace (ADR 0027) instead of in the deployer's pod: the context
 * (gzipped tar) and the registry auth file go into a Secret owned by the Job, the Job's build container runs
 * buildah with the measured capabilities and exits, its push container pushes with the credentials and
 * writes the digest as its termination message. The deployer streams both containers' logs into the
 * deployment's log, ends with the Job's Complete or Failed condition and deletes the Job (and with it, by
 * garbage collection, its pod and Secret) when done or stopped.
 */
export function createKubernetesJobBuilder(options: KubernetesJobBuilderOptions): ImageBuilder {
  const client = loadKubeClient();
  const batch = options.kubeConfig.makeApiClient(client.BatchV1Api);
  const core = options.kubeConfig.makeApiClient(client.CoreV1Api);
  const logs = new client.Log(options.kubeConfig);
  const { settings } = options;
  const namespace = settings.namespace;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;

  async function packContext(contextDir: string): Promise<Buffer> {
    const dir = await mkdtemp(join(options.tempDir, 'ashapp-job-context-'));
    try {
      const file = join(dir, 'context.tar.gz');
      const result = await runCommand({
        command: 'tar',
        args: ['-czf', file, '--owner=0', '--group=0', '--numeric-owner', '-C', contextDir, '.'],
        env: { PATH: options.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        timeoutMs: 120_000,
      });
      if (result.code !== 0)
        throw new UpstreamError(`packing the build context failed: ${result.stderr.trim()}`);
      return await readFile(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function deleteJob(name: string): Promise<void> {
    try {
      await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err))
        options.log.warn(
          { job: name, err: describeApiError(err) },
          'could not delete a build Job (its TTL removes it)',
        );
    }
  }

  async function readPod(name: string): Promise<k8s.V1Pod | undefined> {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
    return pods.items[0];
  }

  const statusOf = (pod: k8s.V1Pod | undefined, step: StepName) =>
    [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find(
      (s) => s.name === step,
    );

  /**
   * What a failed clone tells the user: the deployer's own answers (ADR 0008), the same generic one for
   * every network failure; git's words (addresses, ports) only in the server log.
   */
  function cloneFailure(ref: string, message: string, job: string): InputError {
    const code = /^failed: (\S+)/.exec(message)?.[1];
    if (code === 'ref')
      return new InputError(`ref: ${ref} does not exist in the repository`, { field: 'ref' });
    if (code === 'no-dockerfile')
      return new InputError('repo_url: the repository has no Dockerfile at its root', { field: 'repo_url' });
    if (code === 'too-large')
      return new InputError(
        `repo_url: the repository is larger than ${defaultCheckoutLimits.maxBytes / 1024 / 1024} MiB or ${defaultCheckoutLimits.maxFiles} files`,
        { field: 'repo_url' },
      );
    options.log.warn(
      { job, details: message.trim().slice(-1000) },
      'git clone refused or failed: git clone failed in the build Job',
    );
    return new InputError(cloneFailedMessage, { field: 'repo_url' });
  }

  return {
    name: 'kubernetes-job',
    clonesGit: true,
    async available() {
      try {
        await core.listNamespacedPod({ namespace, limit: 1 });
        return true;
      } catch {
        return false;
      }
    },
    build() {
      return Promise.reject(
        new UnavailableError('kubernetes-job builds push as they build: the pipeline calls buildAndPush'),
      );
    },
    push() {
      return Promise.reject(
        new UnavailableError('kubernetes-job builds push as they build: the pipeline calls buildAndPush'),
      );
    },
    removeImage: async () => undefined,
    async buildAndPush(request) {
      const started = Date.now();
      const { signal } = request;
      signal?.throwIfAborted();
      const { git } = request;
      if (!git && request.contextDir === undefined)
        throw new Error('buildAndPush needs a build context or a git source');
      const containerOrder: readonly StepName[] = git ? ['clone', 'build', 'push'] : ['build', 'push'];
      // A git source is cloned by the Job itself: nothing to pack, no 1 MiB bound.
      const context = git ? undefined : await packContext(request.contextDir!);
      const { registry, credentials, insecure } = request.push;
      const authFile = credentials
        ? Buffer.from(
            renderAuthFile(
              [...new Set([readImageRegistry(request.image), registry])].map((r) => ({
                registry: r,
                credentials,
              })),
            ),
          )
        : undefined;
      const bytes = (context?.length ?? 0) + (authFile?.length ?? 0);
      if (context && bytes > maxSecretBytes) {
        throw new InputError(
          `the build context is ${Math.ceil(context.length / 1024)} KiB compressed; a build Job receives it in a ` +
            `Kubernetes Secret, which holds at most ${maxSecretBytes / 1024} KiB (the API server's limit): ` +
            'make the source smaller, or build the image in CI and deploy it by name',
        );
      }
      const fromImage = git ? undefined : (await readFromImages(request.contextDir!))[0];
      const deadlineSeconds = Math.max(1, Math.ceil((request.timeoutMs ?? 15 * 60_000) / 1000));
      const name = `build-${randomBytes(6).toString('hex')}`;
      const job = renderBuildJob(settings, {
        name,
        image: request.image,
        deadlineSeconds,
        pullInsecure: Boolean(
          fromImage && request.insecureRegistries?.includes(readImageRegistry(fromImage)),
        ),
        pushInsecure: insecure,
        hasAuth: authFile !== undefined,
        ...(git
          ? { git: { url: git.url, ref: git.ref, insecureRegistries: request.insecureRegistries ?? [] } }
          : {}),
      });
      let created: k8s.V1Job;
      try {
        created = await batch.createNamespacedJob({ namespace, body: job });
      } catch (err) {
        throw new UnavailableError(`kubernetes: creating the build Job failed: ${describeApiError(err)}`);
      }
      request.log(`build Job ${namespace}/${name} created (${settings.image})`);
      const followers = new Map<StepName, LogFollower>();
      /** Starts following each container that has started, one after the other (the log keeps their order). */
      const advanceFollowers = async (pod: k8s.V1Pod | undefined) => {
        for (const step of containerOrder) {
          const previous = containerOrder[containerOrder.indexOf(step) - 1];
          if (followers.has(step)) continue;
          if (previous && !followers.get(previous)?.ended) return;
          const state = statusOf(pod, step)?.state;
          if (!pod?.metadata?.name || !(state?.running || state?.terminated)) return;
          followers.set(
            step,
            await followContainerLog(
              logs,
              { namespace, pod: pod.metadata.name, container: step },
              request.log,
            ),
          );
        }
      };
      try {
        try {
          if (context || authFile)
            await core.createNamespacedSecret({
              namespace,
              body: renderBuildSecret(
                { name, namespace, uid: created.metadata!.uid! },
                { context, authFile },
              ),
            });
          // Started only now: its pod never waits on a Secret that is not there yet.
          await batch.patchNamespacedJob({
            name,
            namespace,
            body: [{ op: 'replace', path: '/spec/suspend', value: false }],
          });
        } catch (err) {
          throw new UnavailableError(`kubernetes: starting the build Job failed: ${describeApiError(err)}`);
        }
        // The controller enforces activeDeadlineSeconds; this bound only covers a controller that never answers.
        const giveUpAt = Date.now() + deadlineSeconds * 1000 + 60_000;
        let finished: k8s.V1JobCondition | undefined;
        let pod: k8s.V1Pod | undefined;
        let readFailures = 0;
        let commitReported = false;
        /** The clone's commit, from its termination message, once it has exited well. */
        const reportCommit = () => {
          const cloned = statusOf(pod, 'clone')?.state?.terminated;
          if (!git || commitReported || cloned?.exitCode !== 0) return;
          const commit = /^commit ([0-9a-f]{40,64})$/m.exec(cloned.message ?? '')?.[1];
          if (!commit) return;
          commitReported = true;
          git.onCommit(commit);
        };
        for (;;) {
          signal?.throwIfAborted();
          let current: k8s.V1Job;
          try {
            current = await batch.readNamespacedJob({ name, namespace });
            readFailures = 0;
          } catch (err) {
            // An API server restarting (or a Job deleted by someone else) is not a failed build at once.
            if (isNotFound(err) || ++readFailures >= 5)
              throw new UnavailableError(
                `kubernetes: reading the build Job failed: ${describeApiError(err)}`,
              );
            await sleep(pollIntervalMs, signal);
            continue;
          }
          finished = current.status?.conditions?.find(
            (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
          );
          pod = await readPod(name).catch(() => pod);
          await advanceFollowers(pod);
          reportCommit();
          for (const step of containerOrder) {
            const waiting = statusOf(pod, step)?.state?.waiting;
            if (waiting?.reason && fatalWaiting.has(waiting.reason)) {
              throw new UpstreamError(
                `the build Job's pod cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
              );
            }
          }
          if (finished) break;
          if (Date.now() > giveUpAt)
            throw new UpstreamError(
              `image build timed out: the build Job did not finish in ${deadlineSeconds} s`,
            );
          await sleep(pollIntervalMs, signal);
        }
        // The log streams end when their containers have; a stream the API holds open is cut after 10 s.
        pod = (await readPod(name).catch(() => pod)) ?? pod;
        const drainUntil = Date.now() + 10_000;
        for (const step of containerOrder) {
          await advanceFollowers(pod);
          const follower = followers.get(step);
          if (!follower) break;
          await Promise.race([follower.done, sleep(Math.max(0, drainUntil - Date.now()), signal)]);
        }
        reportCommit();
        if (finished.type === 'Complete') {
          const message = statusOf(pod, 'push')?.state?.terminated?.message ?? '';
          const digest = /sha256:[0-9a-f]{64}/.exec(message)?.[0];
          return { digest, durationMs: Date.now() - started };
        }
        if (finished.reason === 'DeadlineExceeded') {
          throw new UpstreamError(
            `image build timed out: the build Job ran past its ${deadlineSeconds} s deadline (activeDeadlineSeconds)`,
          );
        }
        const failedStep =
          containerOrder.find((step) => (statusOf(pod, step)?.state?.terminated?.exitCode ?? 0) !== 0) ??
          'build';
        const terminated = statusOf(pod, failedStep)?.state?.terminated;
        if (failedStep === 'clone' && git) throw cloneFailure(git.ref, terminated?.message ?? '', name);
        const streamed = followers.get(failedStep)?.lines ?? [];
        const tail = lastLines(streamed.length > 0 ? streamed : (terminated?.message ?? '').split('\n'), 3);
        if (failedStep === 'push') {
          const refused = /unauthorized|authentication required|denied/i.test(
            streamed.join('\n') + (terminated?.message ?? ''),
          );
          throw new UpstreamError(
            `image push failed: ${refused ? 'the registry refused the credentials' : tail || (finished.message ?? 'no output')}`,
          );
        }
        throw new UpstreamError(
          `image build failed: ${tail || finished.message || finished.reason || 'the build Job failed'}`,
        );
      } finally {
        for (const follower of followers.values()) follower.stop();
        await deleteJob(name);
        if (signal?.aborted)
          request.log(`build Job ${namespace}/${name} deleted (the deployment was stopped)`);
      }
    },
  };
}
