import {
  awsCredentialsHeader,
  openAwsCredentials,
  requireIdentity,
  type AwsCredentials,
  type Identity,
} from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from './assistant/assistant-service.ts';

/** Who called and from where, for audit events. The gateway is the only client and sets x-forwarded-for. */
export function readRequestMeta(request: FastifyRequest): RequestMeta {
  const forwarded = request.headers['x-forwarded-for'];
  const ip = (typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined) || request.ip;
  const userAgent = request.headers['user-agent'];
  return { endpoint: `${request.method} ${request.routeOptions.url ?? request.url}`, ip, userAgent };
}

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
