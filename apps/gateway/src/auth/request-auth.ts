import { NotAllowedError, NotAuthenticatedError } from '@ashapp/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestRateLimits } from '../rate-limit/rate-limits.ts';
import type { ActiveSession, SessionService } from '../sessions/session-service.ts';
import { anonymousBinding, csrfCookieName, csrfHeaderName, type CsrfTokens } from './csrf.ts';

export const sessionCookieName = 'ashapp_session';

/**
 * Who may call a route: `public` anyone; `user` a signed-in session or bearer token (401 otherwise);
 * `page` a web page that redirects instead of answering 401; `login` the sign-in call (Origin check
 * instead of a CSRF token, its own stricter rate limit).
 */
export type Access = 'public' | 'user' | 'page' | 'login';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, when the request carries a valid cookie or bearer token. */
    auth?: ActiveSession;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** Forwarded to a service (audited when state-changing). */
    forwardedTo?: string;
  }
}

const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface CookiePolicy {
  /** Whether the request reached us over TLS (directly or, with TRUST_PROXY, through the proxy). */
  isSecure(request: FastifyRequest): boolean;
  sessionMaxAgeSeconds: number;
}

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  policy: CookiePolicy,
  value: string,
) {
  reply.setCookie(sessionCookieName, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: policy.isSecure(request),
    maxAge: policy.sessionMaxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, policy: CookiePolicy) {
  reply.clearCookie(sessionCookieName, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: policy.isSecure(request),
  });
}

export function setCsrfCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  policy: CookiePolicy,
  value: string,
) {
  // Readable by the page's script on purpose: it echoes the value in the x-csrf-token header.
  reply.setCookie(csrfCookieName, value, {
    path: '/',
    httpOnly: false,
    sameSite: 'lax',
    secure: policy.isSecure(request),
  });
}

function readBearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * The distinct values of the session cookie in the request. A browser sends two when another site on a
 * parent domain (or a more specific path) planted a second one: cookie parsers keep the first, which may be
 * the planted one (a session-fixation / cookie-tossing attack).
 */
export function readSessionCookieValues(header: string | undefined): string[] {
  if (!header) return [];
  const values = new Set<string>();
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(`${sessionCookieName}=`)) values.add(pair.slice(sessionCookieName.length + 1));
  }
  return [...values];
}

export interface RequestAuthOptions {
  sessions: SessionService;
  csrf: CsrfTokens;
  rateLimits: RequestRateLimits;
  cookies: CookiePolicy;
  allowedOrigins: readonly string[];
}

/** Sign-in from a browser must come from our own page: same origin, or an origin the operator allowed. */
function checkLoginOrigin(request: FastifyRequest, allowed: readonly string[]) {
  const origin = request.headers.origin;
  if (request.headers['sec-fetch-site'] === 'cross-site')
    throw new NotAllowedError('cross-site sign-in refused');
  // Scripts and API clients send no Origin; browsers always send one with a POST.
  if (origin === undefined) return;
  const own = `${request.protocol}://${request.host}`;
  if (origin !== own && !allowed.includes(origin))
    throw new NotAllowedError('sign-in from another origin refused');
}

/**
 * The gateway's own authentication layer, run before every route: rate limits per IP (and per user once
 * known, stricter for sign-in), the session from the bearer token or the cookie, 401 for API routes
 * without one, CSRF for cookie-authenticated state-changing calls, and the CSRF cookie itself.
 */
export function createRequestAuth(options: RequestAuthOptions) {
  const { sessions, csrf, rateLimits, cookies } = options;

  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const config = request.routeOptions.config;
    // Health, readiness and metrics are for probes: no limits, no cookies.
    if (config.public === true) return;
    const access: Access = config.access ?? 'public';

    await rateLimits.enforce(request, 'ip');
    if (access === 'login') await rateLimits.enforce(request, 'login');

    const bearer = readBearer(request);
    if (bearer !== undefined) {
      request.auth = await sessions.resolveToken(bearer);
      if (!request.auth && access !== 'page' && access !== 'public' && access !== 'login') {
        throw new NotAuthenticatedError('the bearer token is invalid, expired or revoked');
      }
    } else if (readSessionCookieValues(request.headers.cookie).length > 1) {
      // Ambiguous: use neither session. Signed out until the planted cookie is gone.
      request.log.warn('request carried two different session cookies; neither is used');
      clearSessionCookie(reply, request, cookies);
      if (access === 'user' || access === 'login') {
        throw new NotAuthenticatedError(
          'two different ashapp_session cookies were sent (one may have been set by another site); ' +
            "clear this site's cookies and sign in again",
          { reason: 'duplicate_session_cookie' },
        );
      }
    } else {
      const cookieValue = request.cookies[sessionCookieName];
      if (cookieValue !== undefined) {
        request.auth = await sessions.resolveCookie(cookieValue);
        if (!request.auth) clearSessionCookie(reply, request, cookies);
      }
    }

    if (request.auth) await rateLimits.enforce(request, 'user');

    const csrfBinding = request.auth?.via === 'cookie' ? request.auth.id : anonymousBinding;
    const csrfCookie = request.cookies[csrfCookieName];
    const csrfCookieValid = csrf.isValidFor(csrfCookie, csrfBinding);
    if (bearer === undefined && !csrfCookieValid)
      setCsrfCookie(reply, request, cookies, csrf.issue(csrfBinding));

    if (access === 'user' && !request.auth) throw new NotAuthenticatedError('sign in first');
    if (access === 'login') {
      checkLoginOrigin(request, options.allowedOrigins);
      return;
    }
    if (stateChanging.has(request.method) && request.auth?.via === 'cookie') {
      const header = request.headers[csrfHeaderName];
      if (!csrf.verify(csrfCookie, typeof header === 'string' ? header : undefined, csrfBinding)) {
        throw new NotAllowedError(
          'missing or invalid CSRF token: send the ashapp_csrf cookie value in x-csrf-token',
        );
      }
    }
  };
}
