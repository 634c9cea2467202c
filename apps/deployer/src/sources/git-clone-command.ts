import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * How git is run to clone a deployment's repository, in one place for both clones: the deployer's own
 * (`git-source.ts`, in the host build sandbox) and a Kubernetes build Job's `clone` container
 * (`build-job/main.ts`, ADR 0027). No imports: the Job's entry script is bundled with node built-ins only.
 */

export type GitTransport = 'https' | 'file';

/**
 * Only `PATH` of the caller's environment reaches git: no prompts, no system or global config, only the one
 * transport allowed (ext::, ssh, git:// refused by git itself), no askpass helpers.
 */
export function gitCloneEnv(options: {
  transport: GitTransport;
  home: string;
  path: string | undefined;
}): Record<string, string> {
  return {
    PATH: options.path ?? '/usr/bin:/bin',
    HOME: options.home,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: options.transport,
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C',
  };
}

/**
 * `git clone` of one ref, shallow, with `--` before the URL so it can never be read as an option; no hooks,
 * symlinks checked out as plain files (so `COPY` cannot reach files outside the checkout through a link),
 * no redirects (a public host cannot send git to a private one), no credential helper. Submodules are not
 * cloned (no `--recurse-submodules`).
 */
export function gitCloneArgs(options: {
  transport: GitTransport;
  url: string;
  ref: string;
  dir: string;
}): string[] {
  return [
    '-c',
    'protocol.allow=never',
    '-c',
    'protocol.ext.allow=never',
    '-c',
    `protocol.${options.transport}.allow=always`,
    '-c',
    'core.symlinks=false',
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'http.followRedirects=false',
    '-c',
    'credential.helper=',
    'clone',
    '--depth',
    '1',
    '--single-branch',
    '--no-tags',
    '--branch',
    options.ref,
    '--',
    options.url,
    options.dir,
  ];
}

/** git's words for a branch or tag the repository does not have (the one failure a user is told). */
export const gitRefNotFound = /Remote branch .* not found|couldn't find remote ref/i;

/** Largest checkout accepted by default (bytes of files, .git excluded) and most files. */
export const defaultCheckoutLimits = Object.freeze({ maxBytes: 50 * 1024 * 1024, maxFiles: 20_000 });

/**
 * Whether a checkout stays within the limits: walks it (symlinks counted as files, never followed) and stops
 * at the first file past either limit.
 */
export async function checkoutWithinLimits(
  dir: string,
  limits: { maxBytes: number; maxFiles: number },
): Promise<boolean> {
  let bytes = 0;
  let files = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      files += 1;
      bytes += (await lstat(path)).size;
      if (bytes > limits.maxBytes || files > limits.maxFiles) return false;
    }
  }
  return true;
}
