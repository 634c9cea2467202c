import {
  serviceNames,
  type AuditOutbox,
  type Identity,
  type ServiceApp,
  type ServiceName,
} from '@ashapp/platform';
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Access } from '../auth/request-auth.ts';
import { describeRequest } from '../auth/routes.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { Forwarder } from './forwarder.ts';

interface ForwardRoute {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  service: ServiceName;
  /** The service path (with query) for this request. */
  target: (request: FastifyRequest) => string;
  access?: Access;
  rewriteLink?: (link: string) => string;
  summary: string;
}

const allMethods: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function queryOf(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at === -1 ? '' : request.url.slice(at);
}

/** The public path unchanged: the service has the same route (the original's endpoints). */
const samePath = (request: FastifyRequest) => request.url;

/** Everything after `prefix`, taken from the raw URL so encoded characters reach the service as sent. */
function after(prefix: string) {
  return (request: FastifyRequest) => request.url.slice(prefix.length) || '/';
}

function withParam(build: (id: string) => string) {
  return (request: FastifyRequest) =>
    build(encodeURIComponent((request.params as { id: string }).id)) + queryOf(request);
}

/** The public routes that lead to a service, and the raw service APIs under `/services/<name>/`. */
export function listForwardRoutes(): ForwardRoute[] {
  const routes: ForwardRoute[] = [
    {
      method: 'GET',
      url: '/api/history',
      service: 'history',
      target: (r) => `/history/list${queryOf(r)}`,
      rewriteLink: (link) => link.replaceAll('</history/list', '</api/history'),
      summary: "The caller's history, newest first (history GET /history/list); next page in the Link header",
    },
    {
      method: 'DELETE',
      url: '/api/history/:id',
      service: 'history',
      target: withParam((id) => `/history/${id}`),
      summary: 'Delete one of your history entries (history DELETE /history/:id)',
    },
    {
      method: 'GET',
      url: '/api/monitor/events',
      service: 'monitor',
      target: (r) => `/monitor/events${queryOf(r)}`,
      summary: 'Audit events (monitor GET /monitor/events)',
    },
    {
      method: 'GET',
      url: '/api/monitor/stream',
      service: 'monitor',
      target: (r) => `/monitor/events/stream${queryOf(r)}`,
      summary: 'Live audit feed, server-sent events (monitor GET /monitor/events/stream)',
    },
    {
      method: 'GET',
      url: '/api/monitor/stats',
      service: 'monitor',
      target: (r) => `/monitor/stats${queryOf(r)}`,
      summary: 'Audit statistics (monitor GET /monitor/stats)',
    },
    ...['/api/plan', '/api/ask', '/api/confirm', '/create-codebuild-project'].map((url): ForwardRoute => ({
      method: 'POST',
      url,
      service: 'assistant',
      target: samePath,
      summary: `assistant ${url}`,
    })),
    {
      method: allMethods,
      url: '/api/codebuild/*',
      service: 'assistant',
      target: samePath,
      summary: 'CodeBuild (assistant)',
    },
    {
      method: allMethods,
      url: '/deployer-api/*',
      service: 'deployer',
      target: samePath,
      summary: 'Deployer API',
    },
  ];
  for (const name of serviceNames) {
    if (name === 'gateway') continue;
    const prefix = `/services/${name}`;
    const rewriteLink = (link: string) => link.replace(/<\//g, `<${prefix}/`);
    routes.push(
      {
        method: 'GET',
        url: `${prefix}/openapi.json`,
        service: name,
        target: () => '/openapi.json',
        access: 'public',
        summary: `OpenAPI description of ${name}`,
      },
      {
        method: allMethods,
        url: `${prefix}/*`,
        service: name,
        target: after(prefix),
        rewriteLink,
        summary: `The ${name} service's own API, for operators (same identity rules as the public routes)`,
      },
    );
  }
  return routes;
}

// Only these services act in AWS on the user's behalf; no other service ever sees the credentials.
const actsInAws: ReadonlySet<ServiceName> = new Set(['assistant', 'deployer']);

function toIdentity(request: FastifyRequest): Identity | undefined {
  const session = request.auth;
  if (!session) return undefined;
  return {
    userId: session.userId,
    roles: session.roles,
    requestId: request.id,
    sessionId: session.id,
    name: session.username,
  };
}

/**
 * Registers every forwarded route in a scope of its own, where bodies are not parsed but streamed to the
 * service as they arrive. Each state-changing call that went through is an audit event.
 */
export async function registerForwardRoutes(
  app: ServiceApp,
  deps: {
    forwarder: Forwarder;
    audit: AuditOutbox;
    sessions: Pick<SessionService, 'readCredentials'>;
    /** Per target service; bodies above it get 413 from the gateway, never forwarded. */
    bodyLimits: Readonly<Record<Exclude<ServiceName, 'gateway'>, number>>;
  },
): Promise<void> {
  // Requests that got past authentication and CSRF and were sent on (refused ones are not forwarded calls).
  const forwarded = new WeakSet<FastifyRequest>();
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.addHook('onResponse', async (request, reply) => {
      const service = request.routeOptions.config.forwardedTo;
      if (!service || !forwarded.has(request) || !stateChanging.has(request.method) || !request.auth) return;
      await deps.audit.record({
        user_id: request.auth.userId,
        endpoint: `${request.method} ${request.url.split('?')[0] ?? ''}`,
        action_type: 'forward',
        request_data: { service, method: request.method, route: request.routeOptions.url },
        response_summary: { status: reply.statusCode },
        ...describeRequest(request),
      });
    });

    for (const route of listForwardRoutes()) {
      scope.route({
        method: route.method,
        url: route.url,
        config: { access: route.access ?? 'user', forwardedTo: route.service },
        schema: { summary: route.summary, tags: ['forwarded'] },
        handler: (request: FastifyRequest, reply: FastifyReply) => {
          forwarded.add(request);
          return deps.forwarder.forward(request, reply, {
            service: route.service,
            path: route.target(request),
            ...(route.service !== 'gateway' ? { bodyLimit: deps.bodyLimits[route.service] } : {}),
            identity: toIdentity(request),
            ...(request.auth && actsInAws.has(route.service)
              ? {
                  awsCredentials: {
                    ...deps.sessions.readCredentials(request.auth),
                    region: request.auth.region,
                  },
                }
              : {}),
            ...(route.rewriteLink ? { rewriteLink: route.rewriteLink } : {}),
          });
        },
      });
    }
  });
}
