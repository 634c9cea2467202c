import type { RegistryCredentials } from '../registry/auth-file.ts';

export type LogLine = (line: string) => void;

export interface BuildRequest {
  contextDir: string;
  /** Full reference the result is tagged with, e.g. `127.0.0.1:5000/hello:r2`. */
  image: string;
  log: LogLine;
  /** `never`: only images already in local storage; `missing`: pull the base image when absent. */
  pull?: 'never' | 'missing';
  /** Hosts whose base images may be pulled over plain HTTP. */
  insecureRegistries?: readonly string[];
  timeoutMs?: number;
  /** Ends the build (the child is killed) when a deployment is stopped. */
  signal?: AbortSignal;
}

export interface PushRequest {
  image: string;
  /** Host the credentials belong to (`registry-1.docker.io` spelled as `docker.io` is accepted too). */
  registry: string;
  credentials?: RegistryCredentials;
  /** Plain HTTP / unverified TLS, only for hosts operators listed as insecure. */
  insecure: boolean;
  log: LogLine;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BuildResult {
  imageId: string | undefined;
  durationMs: number;
}

export interface PushResult {
  digest: string | undefined;
  durationMs: number;
}

export interface BuildAndPushRequest extends Omit<BuildRequest, 'pull' | 'contextDir'> {
  /** The build context on this machine (pasted code); absent when `git` is given. */
  contextDir?: string;
  /**
   * A git source the builder clones itself (only builders with `clonesGit`): the URL and ref already
   * checked (`GitSource.check`); `onCommit` hears the commit checked out.
   */
  git?: { url: string; ref: string; onCommit(commit: string): void };
  /** Where the image goes: the builder pushes it itself (it keeps no local storage the target could use). */
  push: Pick<PushRequest, 'registry' | 'credentials' | 'insecure'>;
}

export interface BuildAndPushResult {
  digest: string | undefined;
  durationMs: number;
}

/** Builds and pushes container images; one adapter per tool. */
export interface ImageBuilder {
  readonly name: 'buildah' | 'docker' | 'kubernetes-job';
  available(): Promise<boolean>;
  /**
   * Builders that run elsewhere (a Kubernetes Job) build and push in one go, with the registry
   * credentials handed to the push only; the pipeline uses this when present. Such builders keep no local
   * image, so `build` alone refuses.
   */
  buildAndPush?(request: BuildAndPushRequest): Promise<BuildAndPushResult>;
  /**
   * Clones git sources inside its own build (a Kubernetes Job, ADR 0027) rather than the deployer cloning
   * them: the pipeline then passes `git` to `buildAndPush` instead of a context folder.
   */
  readonly clonesGit?: boolean;
  build(request: BuildRequest): Promise<BuildResult>;
  push(request: PushRequest): Promise<PushResult>;
  /** Removes a local image (tests and clean-up); a missing image is not an error. */
  removeImage(image: string): Promise<void>;
}

/** Picks the configured builder, or with `auto` the first one that is available. */
export async function selectImageBuilder(
  choice: 'buildah' | 'docker' | 'kubernetes-job' | 'auto',
  builders: readonly ImageBuilder[],
): Promise<ImageBuilder | undefined> {
  const candidates = choice === 'auto' ? builders : builders.filter((b) => b.name === choice);
  for (const builder of candidates) {
    if (await builder.available()) return builder;
  }
  return undefined;
}

/** The host part of an image reference as registries and auth files name it. */
export function readImageRegistry(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
}
