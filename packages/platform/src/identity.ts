import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotAuthenticatedError } from './errors.ts';

/** The header that carries the gateway's signed statement of who is calling. */
export const identityHeader = 'x-ashapp-identity';

export type Role = 'user' | 'admin' | 'service';

/** Who the caller is, as the gateway vouches for it. */
export interface Identity {
  /** Stable user id: the caller's AWS ARN, or `service:<name>` for service-to-service calls. */
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly requestId: string;
  /** Gateway session id, when the call comes from a signed-in session (binds confirmations to it). */
  readonly sessionId?: string;
  /** Display name ("Logged in as …"). */
  readonly name?: string;
}

interface AssertionPayload {
  v: 1;
  sub: string;
  roles: Role[];
  rid: string;
  sid?: string;
  name?: string;
  iat: number;
  exp: number;
}

const defaultTtlSeconds = 60;
const clockSkewSeconds = 5;

function sign(data: string, secret: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

/**
 * Signs a short-lived assertion of `identity` with the shared internal secret.
 *
 * @example
 * headers[identityHeader] = signIdentity({ userId: arn, roles: ['user'], requestId }, secret);
 */
export function signIdentity(
  identity: Identity,
  secret: string,
  options: { ttlSeconds?: number; now?: number } = {},
): string {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const payload: AssertionPayload = {
    v: 1,
    sub: identity.userId,
    roles: [...identity.roles],
    rid: identity.requestId,
    ...(identity.sessionId ? { sid: identity.sessionId } : {}),
    ...(identity.name ? { name: identity.name } : {}),
    iat,
    exp: iat + (options.ttlSeconds ?? defaultTtlSeconds),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `v1.${body}.${sign(body, secret)}`;
}

/**
 * Verifies an assertion made by `signIdentity`. Throws `NotAuthenticatedError` when it is missing,
 * malformed, signed with another key or expired.
 */
export function verifyIdentity(
  assertion: string | undefined,
  secret: string,
  options: { now?: number } = {},
): Identity {
  if (!assertion) throw new NotAuthenticatedError('missing identity assertion');
  const parts = assertion.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1')
    throw new NotAuthenticatedError('malformed identity assertion');
  const [, body = '', signature = ''] = parts;
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new NotAuthenticatedError('invalid identity assertion');
  }
  let payload: AssertionPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as AssertionPayload;
  } catch {
    throw new NotAuthenticatedError('malformed identity assertion');
  }
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (typeof payload.exp !== 'number' || payload.exp + clockSkewSeconds < now) {
    throw new NotAuthenticatedError('identity assertion expired');
  }
  if (typeof payload.iat !== 'number' || payload.iat - clockSkewSeconds > now) {
    throw new NotAuthenticatedError('identity assertion from the future');
  }
  if (typeof payload.sub !== 'string' || !Array.isArray(payload.roles)) {
    throw new NotAuthenticatedError('malformed identity assertion');
  }
  return {
    userId: payload.sub,
    roles: payload.roles,
    requestId: payload.rid,
    ...(payload.sid ? { sessionId: payload.sid } : {}),
    ...(payload.name ? { name: payload.name } : {}),
  };
}

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes('admin');
}

/** Services calling each other (the audit shipper, for example) present themselves this way. */
export function serviceIdentity(service: string, requestId: string): Identity {
  return { userId: `service:${service}`, roles: ['service'], requestId };
}
