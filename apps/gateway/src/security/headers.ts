import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';

type Directives = Readonly<Record<string, readonly string[]>>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Per-route helmet options; @fastify/helmet reads them from the route config at request time. */
    helmet?: typeof docsHelmetConfig;
  }
}

/** Only the app's own files: no inline script or style, no framing, no foreign connections. */
export const appCspDirectives: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'object-src': ["'none'"],
};

/**
 * The API browser (Swagger UI) sets `style` attributes in the markup it renders, which `style-src 'self'`
 * refuses; its scripts are still files of our own. Only `/api/docs` gets this one relaxation.
 */
export const docsCspDirectives: Directives = {
  ...appCspDirectives,
  'style-src': ["'self'", "'unsafe-inline'"],
};

/** The header value helmet writes for `directives` (its format: `name value;name value`). */
export function formatCsp(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join(';');
}

export const appCsp = formatCsp(appCspDirectives);
export const docsCsp = formatCsp(docsCspDirectives);

function cspOption(directives: Directives) {
  return {
    useDefaults: false,
    directives: Object.fromEntries(Object.entries(directives).map(([k, v]) => [k, [...v]])),
  };
}

/** Route config that gives a route the docs CSP instead of the app's (see `registerDocsRoutes`). */
export const docsHelmetConfig = { contentSecurityPolicy: cspOption(docsCspDirectives) };

/**
 * Security headers on every answer through `@fastify/helmet` (registered before the gateway's own
 * authentication hook, so 401/403/429 answers carry them too), plus what helmet does not cover: a
 * Permissions-Policy, and HSTS only when the request reached us over TLS (helmet would send it on plain
 * HTTP as well, where it means nothing and misleads).
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: { isSecure: (request: FastifyRequest) => boolean },
): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: cspOption(appCspDirectives),
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
    if (options.isSecure(request))
      reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  });
}
