import type { AppError } from '@ashapp/platform';
import { InputError, NotAuthenticatedError, UnavailableError, UpstreamError } from '@ashapp/platform';

/** AWS error codes that mean the signed-in credentials are wrong, expired or revoked. */
export const CREDENTIAL_ERROR_CODES = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'TokenRefreshRequired',
  'InvalidToken',
]);

export interface AwsErrorInfo {
  code: string;
  operation: string | undefined;
  message: string;
}

const CLIENT_ERROR =
  /An error occurred \(([^)]+)\)(?: when calling the (\w+) operation)?(?: \(reached max retries: \d+\))?: ?([\s\S]*)/;

/** Reads the error the CLI printed for an AWS error response, if that is what it printed. */
export function parseAwsError(stderr: string): AwsErrorInfo | undefined {
  const match = CLIENT_ERROR.exec(stderr);
  if (!match) return undefined;
  return { code: match[1] as string, operation: match[2], message: (match[3] ?? '').trim() };
}

/** Maps a failed CLI run to the error the caller sees. AWS errors keep AWS's own words. */
export function mapCliFailure(exitCode: number | null, stderr: string): AppError {
  const aws = parseAwsError(stderr);
  if (aws) {
    if (CREDENTIAL_ERROR_CODES.has(aws.code)) {
      return new NotAuthenticatedError(
        'AWS did not accept your credentials (they may have expired): sign in again',
        {
          awsCode: aws.code,
        },
      );
    }
    return new UpstreamError(
      `An error occurred (${aws.code}) when calling the ${aws.operation ?? 'AWS'} operation: ${aws.message}`,
      {
        awsCode: aws.code,
        ...(aws.operation ? { operation: aws.operation } : {}),
      },
    );
  }
  const text = stderr.trim();
  if (/Unable to locate credentials|Partial credentials found/i.test(text)) {
    return new NotAuthenticatedError('no AWS credentials in this session: sign in again');
  }
  if (/Could not connect to the endpoint URL|Connection was closed|Read timeout on endpoint/i.test(text)) {
    return new UnavailableError(`AWS could not be reached: ${text.split('\n').at(-1) ?? text}`);
  }
  if (
    /Parameter validation failed|Invalid type for parameter|Error parsing parameter|usage: aws/i.test(text)
  ) {
    return new InputError(`the AWS CLI refused the parameters: ${text.slice(0, 2000)}`);
  }
  return new UpstreamError(
    `the AWS CLI failed (exit ${exitCode ?? 'signal'}): ${text.slice(0, 2000) || 'no error output'}`,
  );
}
