import type { FastifyReply, FastifyRequest } from 'fastify';

/** Only the app's own files: no inline script or style, no framing, no foreign connections. */
export const appCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * The API browser (Swagger UI) sets `style` attributes in the markup it renders, which `style-src 'self'`
 * refuses; its scripts are still files of our own. Only `/api/docs` gets this one relaxation.
 */
export const docsCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

export function applySecurityHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { isSecure: (request: FastifyRequest) => boolean },
): void {
  const isDocs = request.url === '/api/docs' || request.url.startsWith('/api/docs/');
  reply.header('content-security-policy', isDocs ? docsCsp : appCsp);
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  if (options.isSecure(request))
    reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
}
