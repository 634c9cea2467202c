import cookie from '@fastify/cookie';
import { createServiceApp, type AuditOutbox, type Logger, type ServiceApp } from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { CallerVerifier } from './auth/caller-verifier.ts';
import { createCsrfTokens } from './auth/csrf.ts';
import { createRequestAuth, type CookiePolicy } from './auth/request-auth.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { createSignInPolicy } from './auth/sign-in-policy.ts';
import type { GatewayConfig } from './config.ts';
import { registerDocsRoutes } from './docs/routes.ts';
import { registerRateLimits } from './rate-limit/rate-limits.ts';
import { createForwarder } from './routing/forwarder.ts';
import { registerForwardRoutes } from './routing/routes.ts';
import { registerUserEventRoutes } from './routing/user-events.ts';
import { registerSecurityHeaders } from './security/headers.ts';
import type { ActiveSession, SessionService } from './sessions/session-service.ts';
import { createPageNotFound, registerWebRoutes } from './web/routes.ts';

export interface GatewayAppDeps {
  config: Pick<
    GatewayConfig,
    | 'internalAuthSecret'
    | 'serviceUrls'
    | 'trustProxy'
    | 'rateLimits'
    | 'allowedOrigins'
    | 'webDistDir'
    | 'forwardBodyLimit'
    | 'serviceBodyLimits'
    | 'forwardTimeoutMs'
    | 'adminArns'
    | 'adminAccounts'
    | 'signInAllowedAccounts'
    | 'signInAllowedArns'
    | 'sessionAbsoluteMs'
    | 'sessionEncryptionKey'
  >;
  log: Logger;
  sessions: SessionService;
  verifier: CallerVerifier;
  /** Shared rate-limit counters for several replicas; without it, counters in this process. */
  redis?: Redis | undefined;
  audit: AuditOutbox;
  /** See `AuthRouteDeps.endSession`. */
  endSession?: (session: ActiveSession, requestId: string) => Promise<void>;
  /** Its database, and Redis when configured. */
  readinessChecks: ReadonlyArray<{ name: string; check: () => Promise<void> }>;
}

/** The gateway's HTTP app, built from its dependencies; nothing listens or runs until main does. */
export async function buildApp(deps: GatewayAppDeps): Promise<ServiceApp> {
  const { config } = deps;
  const app = await createServiceApp({
    name: 'gateway',
    description:
      'The public entry of ASHapp: sign-in, sessions, bearer tokens, routing to the services, the web app. ' +
      'Browser calls that change state send the ashapp_csrf cookie value in x-csrf-token; ' +
      'API clients use Authorization: Bearer <token> from /api/login.',
    log: deps.log,
    identitySecret: config.internalAuthSecret,
    trustProxy: config.trustProxy,
    // The gateway authenticates callers itself (sessions, bearer tokens) and signs assertions onward.
    requireIdentity: false,
    notFound: createPageNotFound(config.webDistDir),
    readinessChecks: deps.readinessChecks,
  });

  const isSecure = (request: FastifyRequest) => request.protocol === 'https';
  const cookies: CookiePolicy = {
    isSecure,
    sessionMaxAgeSeconds: Math.floor(config.sessionAbsoluteMs / 1000),
  };
  const csrf = createCsrfTokens(config.sessionEncryptionKey);
  const signInPolicy = createSignInPolicy({
    accounts: config.signInAllowedAccounts,
    arnPatterns: config.signInAllowedArns,
    adminArns: config.adminArns,
    adminAccounts: config.adminAccounts,
  });
  if (signInPolicy.allowsAnyAccount) {
    deps.log.warn(
      'sign-in allow-list not set: ANY AWS account whose keys STS accepts may sign in. ' +
        'Set SIGN_IN_ALLOWED_ACCOUNTS and/or SIGN_IN_ALLOWED_ARNS (required off loopback).',
    );
  }
  const forwarder = createForwarder({
    serviceUrls: config.serviceUrls,
    identitySecret: config.internalAuthSecret,
    bodyLimit: config.forwardBodyLimit,
    timeoutMs: config.forwardTimeoutMs,
  });
  app.addHook('onClose', async () => forwarder.close());

  await registerSecurityHeaders(app, { isSecure });
  const rateLimits = await registerRateLimits(app, {
    rules: { ip: config.rateLimits.perIp, login: config.rateLimits.login, user: config.rateLimits.perUser },
    redis: deps.redis,
  });
  await app.register(cookie);
  app.addHook(
    'onRequest',
    createRequestAuth({
      sessions: deps.sessions,
      csrf,
      rateLimits,
      cookies,
      allowedOrigins: config.allowedOrigins,
    }),
  );

  registerAuthRoutes(app, {
    sessions: deps.sessions,
    verifier: deps.verifier,
    csrf,
    cookies,
    audit: deps.audit,
    admins: { arns: config.adminArns, accounts: config.adminAccounts },
    signInPolicy,
    ...(deps.endSession ? { endSession: deps.endSession } : {}),
  });
  await registerForwardRoutes(app, {
    forwarder,
    audit: deps.audit,
    sessions: deps.sessions,
    bodyLimits: config.serviceBodyLimits,
  });
  registerUserEventRoutes(app, { forwarder });
  await registerDocsRoutes(app);
  await registerWebRoutes(app, { distDir: config.webDistDir });
  return app;
}
