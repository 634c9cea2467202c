import { readRequestMeta as readBaseRequestMeta, type RequestMeta } from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';
import { readHostName } from './targets/public-url.ts';

/**
 * Who called from where, for audit events, plus the host the user reached the gateway by
 * (X-Forwarded-Host): a published app's URL is advertised under it, so it is kept only when it is a plain
 * host name or address.
 */
export function readRequestMeta(request: FastifyRequest): RequestMeta {
  const forwardedHost = request.headers['x-forwarded-host'];
  const host = readHostName(typeof forwardedHost === 'string' ? forwardedHost : undefined);
  return { ...readBaseRequestMeta(request), ...(host ? { host } : {}) };
}
