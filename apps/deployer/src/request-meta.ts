import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from './registry-logins/registry-logins-service.ts';
import { readHostName } from './targets/public-url.ts';

/** Who called from where, for audit events (the gateway puts the client address in X-Forwarded-For). */
export function readRequestMeta(request: FastifyRequest): RequestMeta {
  const forwarded = request.headers['x-forwarded-for'];
  const ip = (typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined) || request.ip;
  const forwardedHost = request.headers['x-forwarded-host'];
  const host = readHostName(typeof forwardedHost === 'string' ? forwardedHost : undefined);
  return {
    ...(host ? { host } : {}),
    ip,
    userAgent: request.headers['user-agent'],
    endpoint: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
  };
}
