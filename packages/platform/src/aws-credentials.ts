import { hkdfSync } from 'node:crypto';
import { NotAuthenticatedError } from './errors.ts';
import { createSecretBox } from './secret-box.ts';

/** The signed-in user's AWS session, as the gateway hands it to the assistant and the deployer. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly region: string;
}

/** Header carrying the sealed credentials on calls from the gateway to services that act in AWS. */
export const awsCredentialsHeader = 'x-ashapp-aws-credentials';

const lifetimeMs = 60_000;

function boxFor(internalSecret: string) {
  // A key of its own, derived from the internal secret: identity assertions and credentials never share one.
  const key = Buffer.from(hkdfSync('sha256', internalSecret, 'ashapp', 'aws-credentials-v1', 32));
  return createSecretBox(key);
}

/**
 * Seals credentials for one request: AES-256-GCM under a key derived from the internal secret, bound to
 * the request id, valid for a minute. Only the gateway calls this, and only toward services that need it.
 *
 * @example
 * headers[awsCredentialsHeader] = sealAwsCredentials(credentials, secret, request.id);
 */
export function sealAwsCredentials(
  credentials: AwsCredentials,
  internalSecret: string,
  requestId: string,
): string {
  const payload = JSON.stringify({ ...credentials, exp: Date.now() + lifetimeMs });
  return boxFor(internalSecret).seal(payload, requestId);
}

/** Opens what `sealAwsCredentials` made for this request id; throws `NotAuthenticatedError` otherwise. */
export function openAwsCredentials(
  sealed: string | undefined,
  internalSecret: string,
  requestId: string,
): AwsCredentials {
  if (!sealed) throw new NotAuthenticatedError('no AWS session for this request: sign in again');
  let parsed: AwsCredentials & { exp?: number };
  try {
    parsed = JSON.parse(boxFor(internalSecret).open(sealed, requestId)) as AwsCredentials & { exp?: number };
  } catch {
    throw new NotAuthenticatedError('AWS session could not be read: sign in again');
  }
  if (typeof parsed.exp !== 'number' || parsed.exp < Date.now()) {
    throw new NotAuthenticatedError('AWS session hand-off expired: sign in again');
  }
  return {
    accessKeyId: parsed.accessKeyId,
    secretAccessKey: parsed.secretAccessKey,
    ...(parsed.sessionToken ? { sessionToken: parsed.sessionToken } : {}),
    region: parsed.region,
  };
}
