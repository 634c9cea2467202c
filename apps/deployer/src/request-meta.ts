import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from './registry-logins/registry-logins-service.ts';

/** Who called from where, for audit events (the gateway puts the client address in X-Forwarded-For). */
export function readRequestMeta(request: FastifyRequest): RequestMeta {
  const forwarded = request.headers['x-forwarded-for'];
  const ip = (typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined) || request.ip;
  return {
    ip,
    userAgent: request.headers['user-agent'],
    endpoint: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
  };
}
