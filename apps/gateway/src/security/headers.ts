import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

type Directives = Readonly<Record<string, readonly string[]>>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Per-route helmet options in place of the gateway's (the docs CSP); see `registerSecurityHeaders`. */
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

/** The gateway's own helmet options; a route's `config.helmet` replaces the options it names. */
const gatewayHelmetOptions: HelmetOptions = {
  contentSecurityPolicy: cspOption(appCspDirectives),
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  strictTransportSecurity: false,
};

type HeaderWriter = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Security headers on every answer, by `helmet` (registered before the gateway's own authentication hook,
 * so 401/403/429 answers carry them too), plus what helmet does not cover: a Permissions-Policy, and HSTS
 * only when the request reached us over TLS (helmet would send it on plain HTTP as well, where it means
 * nothing and misleads).
 *
 * helmet's middleware is built once per configuration (the gateway's, and each distinct route config),
 * not per request as `@fastify/helmet` does: that per-request build was a fifth of everything the gateway
 * allocated under load and ≈ 11 µs a request (ADR 0029, docs/benchmark-notes.md).
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: { isSecure: (request: FastifyRequest) => boolean },
): Promise<void> {
  const gatewayHeaders = helmet(gatewayHelmetOptions) as HeaderWriter;
  const routeHeaders = new WeakMap<object, HeaderWriter>();
  const headersFor = (config: typeof docsHelmetConfig | undefined): HeaderWriter => {
    if (!config) return gatewayHeaders;
    let writer = routeHeaders.get(config);
    if (!writer) {
      writer = helmet({ ...gatewayHelmetOptions, ...config } as HelmetOptions) as HeaderWriter;
      routeHeaders.set(config, writer);
    }
    return writer;
  };
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
    if (options.isSecure(request))
      reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    headersFor(request.routeOptions.config.helmet)(request.raw, reply.raw, (err) =>
      done(err instanceof Error ? err : undefined),
    );
  });
}
