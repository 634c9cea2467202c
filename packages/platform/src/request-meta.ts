import type { FastifyRequest } from 'fastify';

/**
 * Where a request came from, for audit events and history: the route it reached, the user's address and
 * user agent. Only the gateway reaches a service with a valid identity, and it forwards the browser's
 * address in `X-Forwarded-For`, so the first entry there is the user's.
 */
export interface RequestMeta {
  /** `METHOD /route/:pattern` (the route pattern, never the query string: it may carry secrets). */
  endpoint: string;
  ip: string;
  userAgent: string | undefined;
  /** The host the user reached the gateway by (X-Forwarded-Host), checked by the service that sets it. */
  host?: string;
}

/**
 * Reads a request's {@link RequestMeta}.
 *
 * @example
 * const saved = await service.save(requireIdentity(request), request.body, readRequestMeta(request));
 */
export function readRequestMeta(request: FastifyRequest): RequestMeta {
  const forwarded = request.headers['x-forwarded-for'];
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
  const userAgent = request.headers['user-agent'];
  return {
    endpoint: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
    ip: first || request.ip,
    userAgent: userAgent || undefined,
  };
}
