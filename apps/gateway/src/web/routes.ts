import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { ServiceApp } from '@ashapp/platform';

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
      if (page === '/login' && request.auth) return reply.redirect('/', 302);
      if (protectedPages.has(page) && !request.auth) return reply.redirect('/login', 302);
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
  }
}
