import {
  InputError,
  NotAllowedError,
  NotAuthenticatedError,
  maskSecretsInText,
  type AuditEventInput,
  type AuditOutbox,
  type ServiceApp,
} from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';
import type { ActiveSession, SessionService } from '../sessions/session-service.ts';
import { readUsername, type CallerVerifier } from './caller-verifier.ts';
import { anonymousBinding, type CsrfTokens } from './csrf.ts';
import { clearSessionCookie, setCsrfCookie, setSessionCookie, type CookiePolicy } from './request-auth.ts';
import { resolveRoles } from './roles.ts';
import { CurrentUser, LoginBody, LoginResult, SignInOptions, SignedOut, SuccessResult } from '@ashapp/contracts/gateway';
import type { SignInPolicy } from './sign-in-policy.ts';

export interface AuthRouteDeps {
  sessions: SessionService;
  verifier: CallerVerifier;
  csrf: CsrfTokens;
  cookies: CookiePolicy;
  audit: AuditOutbox;
  admins: { arns: readonly string[]; accounts: readonly string[] };
  /** Which AWS identities may sign in at all (checked after STS proved the keys). */
  signInPolicy: SignInPolicy;
  /**
   * Tells the services that keep per-session secrets (the deployer's registry sign-ins) that the session
   * ended, so they forget them now rather than at expiry. Failures are logged, never block a sign-out.
   */
  endSession?: (session: ActiveSession, requestId: string) => Promise<void>;
}

const accessKeyPattern = /^[A-Z0-9]{16,128}$/;
const secretKeyPattern = /^[\x21-\x7e]{16,128}$/;
const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Only the key's kind prefix survives (AKIA…, ASIA…), the rest is the platform's mask. */
function maskAccessKey(value: string): string {
  const masked = maskSecretsInText(value);
  return masked === value ? `${value.slice(0, 4)}***` : masked;
}

function readLogin(body: LoginBody) {
  const accessKey = body.access_key?.trim() ?? '';
  const secretKey = body.secret_key?.trim() ?? '';
  const region = body.region?.trim() ?? '';
  const missing = [
    ['access_key', accessKey],
    ['secret_key', secretKey],
    ['region', region],
  ]
    .filter(([, v]) => v === '')
    .map(([k]) => k as string);
  if (missing.length > 0) throw new InputError(`missing ${missing.join(', ')}`, { missing });
  if (!accessKeyPattern.test(accessKey)) {
    throw new InputError('access_key must be 16-128 upper-case letters and digits (e.g. AKIA…)', {
      field: 'access_key',
    });
  }
  if (!secretKeyPattern.test(secretKey)) {
    throw new InputError('secret_key must be 16-128 printable characters without spaces', {
      field: 'secret_key',
    });
  }
  if (!regionPattern.test(region))
    throw new InputError('region must look like us-east-1', { field: 'region' });
  const sessionToken = body.session_token?.trim();
  return {
    credentials: {
      accessKeyId: accessKey,
      secretAccessKey: secretKey,
      ...(sessionToken ? { sessionToken } : {}),
    },
    region,
  };
}

export function describeRequest(
  request: FastifyRequest,
): Pick<AuditEventInput, 'ip_address' | 'user_agent' | 'request_id'> {
  const ua = request.headers['user-agent'];
  return {
    ip_address: request.ip,
    request_id: request.id,
    ...(typeof ua === 'string' ? { user_agent: ua } : {}),
  };
}

/** Sign-in, sign-out, the current user, and token revocation. */
export function registerAuthRoutes(app: ServiceApp, deps: AuthRouteDeps): void {
  const { sessions, verifier, csrf, cookies, audit } = deps;

  app.post(
    '/api/login',
    {
      config: { access: 'login' },
      schema: {
        summary: 'Sign in with an AWS key pair (verified with STS GetCallerIdentity)',
        security: [],
        body: LoginBody,
        response: { 200: LoginResult },
      },
    },
    async (request, reply) => {
      const { credentials, region } = readLogin(request.body ?? {});
      const endpoint = 'POST /api/login';
      let caller;
      try {
        caller = await verifier.verify(credentials, region);
      } catch (err) {
        const reason = (err as { details?: { reason?: unknown } }).details?.reason;
        await audit.record({
          user_id: 'anonymous',
          endpoint,
          action_type: 'login_failed',
          request_data: { access_key_id: maskAccessKey(credentials.accessKeyId), region },
          response_summary: {
            status: (err as { status?: number }).status ?? 500,
            reason: String(reason ?? 'error'),
          },
          ...describeRequest(request),
        });
        throw err;
      }
      if (!deps.signInPolicy.allows(caller)) {
        await audit.record({
          user_id: caller.arn,
          endpoint,
          action_type: 'login_refused',
          request_data: { access_key_id: maskAccessKey(credentials.accessKeyId), region },
          response_summary: { status: 403, reason: 'not in the sign-in allow-list', account: caller.account },
          ...describeRequest(request),
        });
        throw new NotAllowedError(
          `${caller.arn} may not sign in here: its account and ARN are not in this ASHapp's sign-in ` +
            'allow-list. Ask the operator to add them.',
          { reason: 'not_allowed_to_sign_in' },
        );
      }
      // A new sign-in never continues an old session (no fixation): the previous one ends here.
      if (request.auth) await sessions.destroy(request.auth);
      const roles = resolveRoles(caller, deps.admins);
      const username = readUsername(caller.arn);
      const { session, cookieValue, token } = await sessions.create(
        { arn: caller.arn, account: caller.account, username, region, roles },
        credentials,
      );
      setSessionCookie(reply, request, cookies, cookieValue);
      setCsrfCookie(reply, request, cookies, csrf.issue(session.id));
      await audit.record({
        user_id: caller.arn,
        endpoint,
        action_type: 'login',
        request_data: { region },
        response_summary: { status: 200, username, account: caller.account, roles },
        ...describeRequest(request),
      });
      return { success: true, username, token };
    },
  );

  app.get(
    '/api/auth/options',
    {
      config: { access: 'public' },
      schema: {
        summary: 'How sign-in is configured (the sign-in page warns when any AWS account may sign in)',
        security: [],
        response: { 200: SignInOptions },
      },
    },
    async () => ({ any_account: deps.signInPolicy.allowsAnyAccount }),
  );

  app.post(
    '/api/logout',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Sign out: destroys the session, its bearer token and its stored credentials',
        response: { 200: SuccessResult },
      },
    },
    async (request, reply) => {
      const session = request.auth;
      if (session) {
        await sessions.destroy(session);
        await deps.endSession?.(session, request.id);
        await audit.record({
          user_id: session.userId,
          endpoint: 'POST /api/logout',
          action_type: 'logout',
          request_data: { via: session.via },
          response_summary: { status: 200 },
          ...describeRequest(request),
        });
      }
      if (!session || session.via === 'cookie') {
        clearSessionCookie(reply, request, cookies);
        setCsrfCookie(reply, request, cookies, csrf.issue(anonymousBinding));
      }
      return { success: true };
    },
  );

  app.get(
    '/api/user',
    {
      config: { access: 'public' },
      schema: {
        summary: 'The signed-in user (401 with logged_in false when nobody is)',
        response: { 200: CurrentUser, 401: SignedOut },
      },
    },
    async (request, reply) => {
      const session = request.auth;
      if (!session) {
        const err = new NotAuthenticatedError('not signed in');
        return reply.status(401).send({
          logged_in: false,
          error: { code: err.code, message: err.message, requestId: request.id },
        });
      }
      return {
        logged_in: true,
        username: session.username,
        arn: session.userId,
        account: session.account,
        region: session.region,
        roles: [...session.roles],
      };
    },
  );

  app.delete(
    '/api/tokens/current',
    {
      config: { access: 'user' },
      schema: {
        summary: "Revoke this session's bearer token (the browser session stays signed in)",
        response: { 200: SuccessResult },
      },
    },
    async (request) => {
      const session = request.auth;
      if (!session) throw new NotAuthenticatedError();
      await sessions.revokeToken(session);
      await audit.record({
        user_id: session.userId,
        endpoint: 'DELETE /api/tokens/current',
        action_type: 'token_revoked',
        request_data: { via: session.via },
        response_summary: { status: 200 },
        ...describeRequest(request),
      });
      return { success: true };
    },
  );
}
