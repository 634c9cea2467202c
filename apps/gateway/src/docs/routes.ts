import swaggerUi from '@fastify/swagger-ui';
import { serviceNames, type ServiceApp } from '@ashapp/platform';
import { docsHelmetConfig } from '../security/headers.ts';

/**
 * One API browser for every service at `/api/docs`: the gateway's own description and each service's
 * `/openapi.json`, fetched through the gateway (`/services/<name>/openapi.json`).
 */
export async function registerDocsRoutes(app: ServiceApp): Promise<void> {
  const urls = [
    { url: '/api/docs/json', name: 'gateway' },
    ...serviceNames
      .filter((s) => s !== 'gateway')
      .map((s) => ({ url: `/services/${s}/openapi.json`, name: s })),
  ];
  await app.register(async (scope) => {
    // Every route of the API browser gets the docs CSP (inline style attributes) instead of the app's.
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, helmet: docsHelmetConfig };
    });
    await scope.register(swaggerUi, {
      routePrefix: '/api/docs',
      // The first entry (the gateway) is the one shown first.
      uiConfig: { urls, deepLinking: false } as Record<string, unknown>,
      staticCSP: false,
    });
  });
}
