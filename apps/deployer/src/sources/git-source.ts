import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, UnavailableError, type Logger } from '@ashapp/platform';
import { runCommand, type CommandResult } from '../process/run-command.ts';
import { SandboxUnavailableError, type BuildSandbox } from '../sandbox/build-sandbox.ts';
import {
  checkHostAllowed,
  createAddressPolicy,
  lookupAllAddresses,
  type AddressPolicy,
  type HostLookup,
} from '../sandbox/network-policy.ts';
import { validateGitRef, validateGitUrl } from '../validation/inputs.ts';
import {
  checkoutWithinLimits,
  defaultCheckoutLimits,
  gitCloneArgs,
  gitCloneEnv,
  gitRefNotFound,
} from './git-clone-command.ts';

export interface GitSourceOptions {
  log: Logger;
  /** PATH for finding git; nothing else from the service's environment reaches git. */
  env: Readonly<Record<string, string>>;
  git?: string;
  /** Absolute local repository paths are accepted only when set (tests, single-user installs). */
  allowLocalPaths: boolean;
  timeoutMs?: number;
  /** Largest checkout accepted (bytes of files, .git excluded). */
  maxBytes?: number;
  maxFiles?: number;
  tempDir?: string;
  /**
   * Where git runs: the build sandbox (its network rules apply to the clone), or `none` when the
   * operator turned the sandbox off.
   */
  sandbox: BuildSandbox | 'none';
  /** Which resolved addresses a repository host may have (default: public addresses only). */
  policy?: AddressPolicy;
  lookup?: HostLookup;
}

/**
 * The one answer for a repository that cannot be cloned, whatever the reason: a reason would tell an open
 * port from a closed one, or a private host from a missing one. The details go to the server log.
 */
export const cloneFailedMessage =
  'repo_url: the repository could not be cloned (it does not exist, is private, is not a git repository, or is not reachable from the build network)';

export interface GitCheckout {
  /** Build context: the repository's files, without .git, with a Dockerfile at its root. */
  dir: string;
  commit: string;
  remove(): Promise<void>;
}

/** A repository and ref that passed the checks; cloned elsewhere (a build Job, ADR 0027). */
export interface CheckedRepository {
  url: string;
  ref: string;
}

export interface GitSource {
  /**
   * The checks of `clone` without cloning (URL and ref syntax, https only, the host's addresses allowed),
   * for builders that clone inside their own build (a Kubernetes Job): same answers, same generic refusal.
   */
  check(request: { repoUrl: unknown; ref?: unknown }): Promise<CheckedRepository>;
  clone(request: { repoUrl: unknown; ref?: unknown; log?: (line: string) => void }): Promise<GitCheckout>;
}

/**
 * Clones one ref of a repository with git through an argument vector: `--` before the URL so it can
 * never be read as an option, only the https and file transports allowed (ext::, ssh, git:// refused by
 * git itself via GIT_ALLOW_PROTOCOL and protocol.*.allow), no prompts, no system or global git config, no
 * hooks, symlinks checked out as plain files (so `COPY` cannot reach host files through a link).
 */
export function createGitSource(options: GitSourceOptions): GitSource {
  const git = options.git ?? 'git';
  const timeoutMs = options.timeoutMs ?? 120_000;
  const limits = {
    maxBytes: options.maxBytes ?? defaultCheckoutLimits.maxBytes,
    maxFiles: options.maxFiles ?? defaultCheckoutLimits.maxFiles,
  };
  const policy = options.policy ?? createAddressPolicy();
  const lookup = options.lookup ?? lookupAllAddresses;
  const refuse = (details: Record<string, unknown>, message: string): never => {
    options.log.warn(details, `git clone refused or failed: ${message}`);
    throw new InputError(cloneFailedMessage, { field: 'repo_url' });
  };
  const checkHost = async (url: string) => {
    const host = new URL(url).hostname;
    const verdict = await checkHostAllowed(host, policy, lookup);
    if (!verdict.allowed) refuse({ host, addresses: verdict.addresses }, `host ${verdict.reason}`);
  };
  return {
    async check(request) {
      // Cloned in another pod: a path on this machine means nothing there.
      const target = validateGitUrl(request.repoUrl, { allowLocalPaths: false });
      const ref = validateGitRef(request.ref);
      if (target.kind === 'https') await checkHost(target.url);
      return { url: target.kind === 'https' ? target.url : target.path, ref };
    },
    async clone(request) {
      const target = validateGitUrl(request.repoUrl, { allowLocalPaths: options.allowLocalPaths });
      const ref = validateGitRef(request.ref);
      if (target.kind === 'https') await checkHost(target.url);
      // A file:// URL (not a bare path) so --depth applies to local clones too.
      const url = target.kind === 'https' ? target.url : pathToFileURL(target.path).toString();
      const work = await mkdtemp(join(options.tempDir ?? tmpdir(), 'ashapp-git-'));
      const remove = () => rm(work, { recursive: true, force: true });
      try {
        const dir = join(work, 'src');
        const transport = target.kind === 'https' ? 'https' : 'file';
        const env = gitCloneEnv({ transport, home: work, path: options.env.PATH });
        const command = {
          command: git,
          args: gitCloneArgs({ transport, url, ref, dir }),
          env,
          cwd: work,
          timeoutMs,
        };
        // git's own output is not streamed to the user: it names addresses, ports and our folders.
        let result: CommandResult;
        if (options.sandbox === 'none') result = await runCommand(command);
        else {
          try {
            result = await options.sandbox.run({
              ...command,
              network: target.kind === 'https' ? 'outside' : 'none',
              asUser: false,
            });
          } catch (err) {
            if (err instanceof SandboxUnavailableError) throw new UnavailableError(err.message);
            throw err;
          }
        }
        if (result.timedOut || result.code !== 0) {
          const stderr = result.stderr.split(work).join('<work>').trim().slice(-1000);
          if (!result.timedOut && gitRefNotFound.test(result.stderr)) {
            throw new InputError(`ref: ${ref} does not exist in the repository`, { field: 'ref' });
          }
          refuse({ code: result.code, timedOut: result.timedOut, stderr }, 'git clone failed');
        }
        request.log?.(`cloned ${ref}`);
        const head = await runCommand({
          command: git,
          args: ['-C', dir, 'rev-parse', 'HEAD'],
          env,
          timeoutMs: 30_000,
        });
        const commit = head.stdout.trim();
        await rm(join(dir, '.git'), { recursive: true, force: true });
        if (!(await checkoutWithinLimits(dir, limits))) {
          throw new InputError(
            `repo_url: the repository is larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB or ${limits.maxFiles} files`,
            { field: 'repo_url' },
          );
        }
        const dockerfile = await lstat(join(dir, 'Dockerfile')).catch(() => undefined);
        if (!dockerfile?.isFile()) {
          throw new InputError('repo_url: the repository has no Dockerfile at its root', {
            field: 'repo_url',
          });
        }
        options.log.info({ commit, ref }, 'repository cloned');
        return { dir, commit, remove };
      } catch (err) {
        await remove();
        throw err;
      }
    },
  };
}
