import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, UpstreamError, type Logger } from '@ashapp/platform';
import { runCommand, summarizeOutput } from '../process/run-command.ts';
import { validateGitRef, validateGitUrl } from '../validation/inputs.ts';

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
}

export interface GitCheckout {
  /** Build context: the repository's files, without .git, with a Dockerfile at its root. */
  dir: string;
  commit: string;
  remove(): Promise<void>;
}

export interface GitSource {
  clone(request: { repoUrl: unknown; ref?: unknown; log?: (line: string) => void }): Promise<GitCheckout>;
}

async function measure(dir: string, limits: { maxBytes: number; maxFiles: number }): Promise<{ bytes: number; files: number }> {
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
      if (bytes > limits.maxBytes || files > limits.maxFiles) return { bytes, files };
    }
  }
  return { bytes, files };
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
  const limits = { maxBytes: options.maxBytes ?? 50 * 1024 * 1024, maxFiles: options.maxFiles ?? 20_000 };
  return {
    async clone(request) {
      const target = validateGitUrl(request.repoUrl, { allowLocalPaths: options.allowLocalPaths });
      const ref = validateGitRef(request.ref);
      // A file:// URL (not a bare path) so --depth applies to local clones too.
      const url = target.kind === 'https' ? target.url : pathToFileURL(target.path).toString();
      const work = await mkdtemp(join(options.tempDir ?? tmpdir(), 'ashapp-git-'));
      const remove = () => rm(work, { recursive: true, force: true });
      try {
        const dir = join(work, 'src');
        const env = {
          PATH: options.env.PATH ?? '/usr/bin:/bin',
          HOME: work,
          GIT_TERMINAL_PROMPT: '0',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_ALLOW_PROTOCOL: target.kind === 'https' ? 'https' : 'file',
          GIT_ASKPASS: '',
          SSH_ASKPASS: '',
          LC_ALL: 'C',
        };
        const protocolConfig = [
          '-c', 'protocol.allow=never',
          '-c', 'protocol.ext.allow=never',
          '-c', `protocol.${target.kind === 'https' ? 'https' : 'file'}.allow=always`,
          '-c', 'core.symlinks=false',
          '-c', 'core.hooksPath=/dev/null',
          '-c', 'http.followRedirects=false',
          '-c', 'credential.helper=',
        ];
        const result = await runCommand({
          command: git,
          args: [...protocolConfig, 'clone', '--depth', '1', '--single-branch', '--no-tags', '--branch', ref, '--', url, dir],
          env,
          cwd: work,
          timeoutMs,
          onLine: (line) => request.log?.(line),
        });
        if (result.timedOut) throw new UpstreamError(`git clone took longer than ${Math.round(timeoutMs / 1000)} s`);
        if (result.code !== 0) {
          if (/Remote branch .* not found|couldn't find remote ref/i.test(result.stderr)) {
            throw new InputError(`ref: ${ref} does not exist in the repository`, { field: 'ref' });
          }
          if (/not found|does not appear to be a git repository|does not exist|Authentication failed|could not read Username/i.test(result.stderr)) {
            throw new InputError('repo_url: the repository could not be read (missing, private or not a git repository)', { field: 'repo_url' });
          }
          throw new UpstreamError(`git clone failed: ${summarizeOutput(result, 2)}`);
        }
        const head = await runCommand({ command: git, args: ['-C', dir, 'rev-parse', 'HEAD'], env, timeoutMs: 30_000 });
        const commit = head.stdout.trim();
        await rm(join(dir, '.git'), { recursive: true, force: true });
        const size = await measure(dir, limits);
        if (size.bytes > limits.maxBytes || size.files > limits.maxFiles) {
          throw new InputError(`repo_url: the repository is larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB or ${limits.maxFiles} files`, { field: 'repo_url' });
        }
        const dockerfile = await lstat(join(dir, 'Dockerfile')).catch(() => undefined);
        if (!dockerfile?.isFile()) {
          throw new InputError('repo_url: the repository has no Dockerfile at its root', { field: 'repo_url' });
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
