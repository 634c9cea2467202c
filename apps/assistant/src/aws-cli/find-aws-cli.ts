import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { UnavailableError } from '@ashapp/platform';

export interface AwsCliLocation {
  path: string;
  /** e.g. `2.9.19` */
  version: string;
}

export interface FindAwsCliOptions {
  /** `AWS_CLI_PATH` from configuration; when given, only this path is tried. */
  configuredPath?: string;
  /** Paths tried otherwise. PATH is never searched: images may put a v1 `aws` first. */
  candidates?: readonly string[];
  timeoutMs?: number;
}

export const DEFAULT_AWS_CLI_CANDIDATES = ['/usr/bin/aws', '/usr/local/bin/aws'] as const;

function readVersion(path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      path,
      ['--version'],
      { env: { PATH: '/usr/bin:/bin', HOME: tmpdir(), AWS_PAGER: '' }, timeout: timeoutMs, shell: false },
      (err, stdout, stderr) => {
        if (err) {
          resolve(undefined);
          return;
        }
        // v1 printed its version on stderr, v2 on stdout; read both and accept only v2.
        const match = /aws-cli\/(\d+\.\d+\.\d+)/.exec(`${stdout} ${stderr}`);
        resolve(match?.[1]);
      },
    );
  });
}

/** Finds an AWS CLI v2 and returns its path and version; anything else (missing, v1) is refused. */
export async function findAwsCli(options: FindAwsCliOptions = {}): Promise<AwsCliLocation> {
  const candidates = options.configuredPath
    ? [options.configuredPath]
    : (options.candidates ?? DEFAULT_AWS_CLI_CANDIDATES);
  const seen: string[] = [];
  for (const path of candidates) {
    const version = await readVersion(path, options.timeoutMs ?? 20_000);
    if (version?.startsWith('2.')) return { path, version };
    seen.push(version ? `${path} is aws-cli/${version}` : `${path} did not answer --version`);
  }
  throw new UnavailableError(`AWS CLI v2 not found (${seen.join('; ')}); set AWS_CLI_PATH to a v2 binary`);
}
