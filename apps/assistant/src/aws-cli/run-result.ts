import { UpstreamError } from '@ashapp/platform';
import { CREDENTIAL_ERROR_CODES, mapCliFailure, parseAwsError } from './cli-errors.ts';
import { renderText } from './render-output.ts';

export interface CliRunResult {
  /** Parsed JSON output (after `--query`), or null when the CLI printed nothing. */
  json: unknown;
  /** A text form of the output, in the spirit of `--output text`. */
  text: string;
  /** The raw JSON text the CLI printed (or would have printed: the warm executor prints the same). */
  raw: string;
  durationMs: number;
  /** The CLI argument vector of the call (no credentials are ever in it). */
  argv: string[];
}

export interface DryRunVerdict {
  /** True when AWS answered DryRunOperation: the real call would be allowed. */
  wouldSucceed: boolean;
  code: string;
  message: string;
}

/** Reads what `aws … --output json` printed into the result every executor returns. */
export function readCliOutput(raw: string, durationMs: number, argv: string[]): CliRunResult {
  let json: unknown = null;
  if (raw.trim() !== '') {
    try {
      json = JSON.parse(raw) as unknown;
    } catch {
      json = raw.trim();
    }
  }
  return { json, text: renderText(json), raw, durationMs, argv };
}

/** Reads a dry run's outcome: AWS always answers one with an error naming the verdict. */
export function readDryRunOutcome(exitCode: number | null, stderr: string): DryRunVerdict {
  if (exitCode === 0) {
    // Success here means the flag was not honoured.
    throw new UpstreamError('the dry run returned no verdict (the endpoint ignored --dry-run)');
  }
  const aws = parseAwsError(stderr);
  if (!aws || CREDENTIAL_ERROR_CODES.has(aws.code)) throw mapCliFailure(exitCode, stderr);
  return { wouldSucceed: aws.code === 'DryRunOperation', code: aws.code, message: aws.message };
}
