import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { ServiceApp } from '@ashapp/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The single-page app's page routes. */
export const pageRoutes = ['/', '/login', '/deployer', '/monitor', '/history'] as const;
const protectedPages = new Set<string>(pageRoutes.filter((p) => p !== '/login'));

const missingBuildPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ASHapp: web app not built</title></head>
<body><h1>The web app is not built</h1>
<p>The gateway serves <code>apps/web/dist</code>, which does not exist yet. Build it with
<code>npm run build -w @ashapp/web</code> (or start everything with <code>npm start</code>, which builds it).</p>
</body></html>
`;

/**
 * Serves the built web app: its hashed assets as static files, and its pages behind the sign-in rules
 * (signed out → /login, signed in at /login → /).
 */
export async function registerWebRoutes(app: ServiceApp, options: { distDir: string }): Promise<void> {
  const indexFile = path.join(options.distDir, 'index.html');
  await app.register(fastifyStatic, {
    root: options.distDir,
    prefix: '/',
    index: false,
    wildcard: true,
    // Pages go through the routes below, which check the session first.
    allowedPath: (pathName) => pathName !== '/index.html',
    cacheControl: false,
    setHeaders(res, filePath) {
      // Vite names assets by content hash: they never change under the same name. Other files (favicon)
      // are revalidated.
      const hashed = filePath.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  for (const page of pageRoutes) {
    app.get(page, { config: { access: 'page' }, schema: { hide: true } }, async (request, reply) => {
      if (page === '/login' && request.auth) return reply.redirect(readLocalNext(request.query) ?? '/', 302);
      if (protectedPages.has(page) && !request.auth) {
        const next = request.url === '/' ? '' : `?next=${encodeURIComponent(request.url)}`;
        return reply.redirect(`/login${next}`, 302);
      }
      if (!existsSync(indexFile)) {
        return reply
          .status(503)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(missingBuildPage);
      }
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
      return reply.sendFile('index.html', { cacheControl: false });
    });
    // The original served its pages with a trailing slash (`/deployer/`): old links and bookmarks land here.
    if (page !== '/') {
      app.get(
        `${page}/`,
        { config: { access: 'public' }, schema: { hide: true } },
        async (request, reply) => {
          const at = request.url.indexOf('?');
          return reply.redirect(`${page}${at === -1 ? '' : request.url.slice(at)}`, 301);
        },
      );
    }
  }
}

/** `next` from the query when it is a path on this site (never `//host` or a scheme: no open redirect). */
export function readLocalNext(query: unknown): string | undefined {
  const next = (query as { next?: unknown } | undefined)?.next;
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) {
    return undefined;
  }
  return /^[\x21-\x7e]*$/.test(next) ? next : undefined;
}

// Paths that belong to APIs: an unknown one there is a JSON 404, never the web app.
const apiPrefixes = [
  '/api/',
  '/deployer-api/',
  '/services/',
  '/monitor/',
  '/history/',
  '/create-codebuild-project',
];

/**
 * For an unknown page a browser asked for, the web app itself with status 404 (it shows "page not found"
 * and its navigation); anything else falls through to the JSON 404.
 */
export function createPageNotFound(distDir: string) {
  const indexFile = path.join(distDir, 'index.html');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const pathName = request.url.split('?')[0] ?? '';
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    if (request.method !== 'GET' || !wantsHtml || apiPrefixes.some((p) => pathName.startsWith(p)))
      return undefined;
    if (!existsSync(indexFile)) return undefined;
    return reply
      .status(404)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .sendFile('index.html', { cacheControl: false });
  };
}
