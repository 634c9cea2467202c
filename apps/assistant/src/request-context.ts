import {
  awsCredentialsHeader,
  openAwsCredentials,
  readRequestMeta,
  requireIdentity,
  type AwsCredentials,
  type Identity,
  type RequestMeta,
} from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';

/**
 * The caller's identity and AWS session. The gateway seals the session's credentials for this request id;
 * without them (or when they do not open) the answer is 401 "sign in again".
 */
export function readCaller(
  request: FastifyRequest,
  internalSecret: string,
): { identity: Identity; credentials: AwsCredentials; meta: RequestMeta } {
  const identity = requireIdentity(request);
  const header = request.headers[awsCredentialsHeader];
  const credentials = openAwsCredentials(
    typeof header === 'string' ? header : undefined,
    internalSecret,
    request.id,
  );
  return { identity, credentials, meta: readRequestMeta(request) };
}
