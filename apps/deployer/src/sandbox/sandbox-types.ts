import type { CommandResult } from '../process/run-command.ts';
import type { CgroupSweep, ResourceLimits } from './cgroups.ts';
import type { AddressPolicy } from './network-policy.ts';
import type { Logger } from '@ashapp/platform';

export interface IdRange {
  start: number;
  count: number;
}

export interface SandboxLimits extends ResourceLimits {
  /** Largest single file a sandboxed process may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /**
   * Everything one build may write: its workspace (context, base image hand-over, its own container
   * storage, temporary files, the exported result) is a filesystem of this size. 0: no bound (the
   * workspace is a plain folder and builds share the build user's store and its layer cache).
   */
  maxDiskBytes: number;
}

export interface BuildSandboxOptions {
  log: Logger;
  /** PATH used to find the sandbox tools (the same PATH the children get). */
  path: string;
  policy: AddressPolicy;
  limits: SandboxLimits;
  /**
   * Unprivileged system user that runs buildah (rootless): root inside a build is this user outside, and
   * the other ids of a build are its /etc/subuid and /etc/subgid ranges (mapped by newuidmap/newgidmap).
   */
  user: string;
  /** The build user's own container storage, home and per-build folders (created, owned by the user). */
  storageDir: string;
}

export interface SandboxUser {
  uid: number;
  gid: number;
  uids: IdRange;
  gids: IdRange;
}

export type SandboxStatus = { ready: true; user: SandboxUser } | { ready: false; problems: string[] };

/** A folder for one build, owned by the build user (context copy, image exports); removed afterwards. */
export interface SandboxWorkspace {
  dir: string;
  /**
   * Container storage flags for this build: its own store inside the workspace when the disk is bounded
   * (so the bound covers its layers; base images are read from the shared store), else the build user's
   * shared store.
   */
  storageArgs: readonly string[];
  /** Where the build's temporary files go (TMPDIR), inside the bounded workspace when there is one. */
  tmpDir: string;
  /** The workspace's size, when it is a bounded filesystem. */
  diskLimitBytes: number | undefined;
  /** Copies a folder in (e.g. the build context) and hands it to the build user. */
  copyIn(source: string, name: string): Promise<string>;
  /** Hands a folder root wrote (e.g. an exported image) to the build user. */
  giveToUser(path: string): Promise<void>;
  remove(): Promise<void>;
}

export interface SandboxRunRequest {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
  timeoutMs: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /**
   * `outside`: the outside world through slirp4netns and the egress rules; `none`: its own loopback only;
   * `host`: the host's network, for operator-trusted steps only (pulling a configured base image).
   */
  network: 'outside' | 'none' | 'host';
  /** Run as the build user (rootless buildah) instead of root. */
  asUser: boolean;
  /**
   * Whether the file-size limit applies (default true). Off only for the service's own steps on a build's
   * result, such as exporting an image, which write whole layers.
   */
  limitFileSize?: boolean;
  /** TMPDIR for the build user (default: the user's own shared temporary folder). */
  tmpDir?: string;
}

export interface SandboxRunResult extends CommandResult {
  /** The memory limit was hit and the kernel killed a process of the build. */
  oomKilled: boolean;
}

/**
 * Runs a command (buildah, git) in its own network, PID, mount and IPC namespaces, in its own cgroups, with
 * a file-size limit, optionally as the unprivileged build user (then buildah is rootless: its RUN steps are
 * root only inside a user namespace mapped to that user and its subordinate ids).
 */
export interface BuildSandbox {
  status(): Promise<SandboxStatus>;
  run(request: SandboxRunRequest): Promise<SandboxRunResult>;
  createWorkspace(): Promise<SandboxWorkspace>;
  /** `--root`/`--runroot`/driver flags of the build user's own container storage. */
  readonly storageArgs: readonly string[];
  readonly limits: SandboxLimits;
  /** Removes build cgroups a killed deployer left behind (run at start-up; see `sweepStaleBuildCgroups`). */
  sweepStaleGroups(): Promise<CgroupSweep>;
  /** Unmounts and removes build workspaces a killed deployer left behind (run at start-up). */
  sweepStaleWorkspaces(): Promise<string[]>;
}

export class SandboxUnavailableError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the build sandbox is not available on this host: ${problems.join('; ')}`);
    this.name = 'SandboxUnavailableError';
  }
}
