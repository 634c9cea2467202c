import { createHash, randomBytes } from 'node:crypto';
import { createId, type Role } from '@ashapp/platform';
import type { SecretBox } from '@ashapp/platform';
import type { SessionRecord, SessionStore } from './session-store.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedInCaller {
  arn: string;
  account: string;
  username: string;
  region: string;
  roles: Role[];
}

/** A live session as the rest of the gateway sees it: no hashes, no sealed blobs. */
export interface ActiveSession {
  id: string;
  userId: string;
  username: string;
  account: string;
  region: string;
  roles: Role[];
  /** How the request proved it: the cookie or the bearer token. */
  via: 'cookie' | 'bearer';
  record: SessionRecord;
}

export interface SessionService {
  /** Starts a session; returns the cookie value and the bearer token (each shown once, stored as hashes). */
  create(
    caller: SignedInCaller,
    credentials: AwsCredentials,
  ): Promise<{ session: ActiveSession; cookieValue: string; token: string }>;
  resolveCookie(value: string | undefined): Promise<ActiveSession | undefined>;
  resolveToken(token: string | undefined): Promise<ActiveSession | undefined>;
  /** Logout: the session, its token and its credentials are gone. */
  destroy(session: ActiveSession): Promise<void>;
  revokeToken(session: ActiveSession): Promise<void>;
  /** The AWS credentials of a session, decrypted for a call made on the user's behalf. */
  readCredentials(session: ActiveSession): AwsCredentials;
  sweep(): Promise<number>;
}

export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const secretPattern = /^[A-Za-z0-9_-]{43}$/;

export function createSessionService(options: {
  store: SessionStore;
  cipher: SecretBox;
  idleMs: number;
  absoluteMs: number;
  now?: () => number;
}): SessionService {
  const { store, cipher, idleMs, absoluteMs } = options;
  const now = options.now ?? Date.now;
  // Writing `last_seen_at` on every request would turn each read into a write; a small slack is enough
  // for an idle expiry measured in minutes.
  const touchEveryMs = Math.min(15_000, Math.floor(idleMs / 10));

  function toActive(record: SessionRecord, via: ActiveSession['via']): ActiveSession {
    return {
      id: record.id,
      userId: record.userId,
      username: record.username,
      account: record.account,
      region: record.region,
      roles: record.roles,
      via,
      record,
    };
  }

  async function check(record: SessionRecord | undefined, via: ActiveSession['via']) {
    if (!record) return undefined;
    const t = now();
    if (t >= record.expiresAt || t - record.lastSeenAt >= idleMs) {
      await store.destroy(record);
      return undefined;
    }
    if (t - record.lastSeenAt >= touchEveryMs) {
      await store.touch(record, t);
      record = { ...record, lastSeenAt: t };
    }
    return toActive(record, via);
  }

  return {
    async create(caller, credentials) {
      const cookieValue = randomBytes(32).toString('base64url');
      const token = randomBytes(32).toString('base64url');
      const id = createId();
      const t = now();
      const record: SessionRecord = {
        id,
        sessionHash: hashSecret(cookieValue),
        tokenHash: hashSecret(token),
        userId: caller.arn,
        username: caller.username,
        account: caller.account,
        region: caller.region,
        roles: caller.roles,
        credentials: cipher.seal(JSON.stringify(credentials), id),
        createdAt: t,
        lastSeenAt: t,
        expiresAt: t + absoluteMs,
      };
      await store.create(record);
      return { session: toActive(record, 'cookie'), cookieValue, token };
    },
    async resolveCookie(value) {
      if (!value || !secretPattern.test(value)) return undefined;
      return check(await store.findBySessionHash(hashSecret(value)), 'cookie');
    },
    async resolveToken(token) {
      if (!token || !secretPattern.test(token)) return undefined;
      return check(await store.findByTokenHash(hashSecret(token)), 'bearer');
    },
    destroy: (session) => store.destroy(session.record),
    revokeToken: (session) => store.revokeToken(session.record),
    readCredentials(session) {
      return JSON.parse(cipher.open(session.record.credentials, session.id)) as AwsCredentials;
    },
    sweep: () => store.deleteExpired(now()),
  };
}
