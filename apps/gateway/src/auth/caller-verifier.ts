import { commonJsExports, NotAuthenticatedError, UnavailableError, UpstreamError } from '@ashapp/platform';
import type { AwsCredentials } from '../sessions/session-service.ts';

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/** Proves that a key pair works and says whose it is. */
export interface CallerVerifier {
  verify(credentials: AwsCredentials, region: string): Promise<CallerIdentity>;
}

// What STS answers when the key id is unknown, the secret is wrong, or a temporary key is incomplete/expired.
const rejectedKeyErrors = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'InvalidAccessKeyId',
]);

/** The real adapter: STS GetCallerIdentity through the AWS SDK, at `endpoint` when one is configured. */
export function createStsCallerVerifier(options: {
  endpoint: string | undefined;
  timeoutMs: number;
}): CallerVerifier {
  return {
    async verify(credentials, region) {
      // Loaded at the first sign-in, not at start-up: the SDK is a large share of the gateway's start time
      // and idle memory, and most requests never need it (issue 9: ready ≤ 1 s, ≤ 90 MB idle).
      const { GetCallerIdentityCommand, STSClient } = commonJsExports(await import('@aws-sdk/client-sts'));
      const client = new STSClient({
        region,
        credentials,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
      });
      try {
        const out = await client.send(new GetCallerIdentityCommand({}));
        if (!out.Arn || !out.Account) throw new UpstreamError('STS answered without an ARN');
        return { arn: out.Arn, account: out.Account, userId: out.UserId ?? '' };
      } catch (err) {
        if (err instanceof UpstreamError) throw err;
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        if (e.name && rejectedKeyErrors.has(e.name)) {
          throw new NotAuthenticatedError(
            'AWS rejected these credentials: check the access key and secret key',
            {
              reason: e.name,
            },
          );
        }
        if (status !== undefined && status >= 400 && status < 500) {
          throw new NotAuthenticatedError('AWS rejected these credentials', {
            reason: e.name ?? `HTTP ${status}`,
          });
        }
        throw new UnavailableError('AWS STS is unreachable: sign-in cannot be verified right now', {
          reason: e.name ?? 'network',
        });
      } finally {
        client.destroy();
      }
    },
  };
}

/** Display name: the last part of the ARN (`arn:aws:iam::1:user/team/alice` → `alice`). */
export function readUsername(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? arn;
}
