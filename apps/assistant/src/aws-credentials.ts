import type { AwsCredentials } from '@ashapp/platform';

export type { AwsCredentials };

/**
 * The part of the signed-in user's session that signs AWS calls. Derived from the platform's one
 * `AwsCredentials` definition; the region travels in the plan (or the client config) instead.
 * Never stored, logged or returned.
 */
export type AwsSigningKeys = Pick<AwsCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;
