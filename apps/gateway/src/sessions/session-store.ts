import type { Role } from '@ashapp/platform';

/** One signed-in session as stored. Secrets appear only as hashes (ids, token) or sealed (credentials). */
export interface SessionRecord {
  /** Internal id (UUIDv7): what the services see as `sessionId`; never a credential by itself. */
  id: string;
  /** SHA-256 of the cookie value. */
  sessionHash: string;
  /** SHA-256 of the bearer token, null once the token is revoked. */
  tokenHash: string | null;
  /** Caller ARN. */
  userId: string;
  username: string;
  account: string;
  region: string;
  roles: Role[];
  /** AWS credentials sealed with AES-256-GCM (see credential-cipher.ts), bound to `id`. */
  credentials: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute expiry (epoch ms). */
  expiresAt: number;
}

/** Where sessions live: the gateway's database (one replica) or Redis (several replicas). */
export interface SessionStore {
  readonly kind: 'database' | 'redis';
  create(record: SessionRecord): Promise<void>;
  findBySessionHash(hash: string): Promise<SessionRecord | undefined>;
  findByTokenHash(hash: string): Promise<SessionRecord | undefined>;
  /** Records activity; the idle expiry counts from `lastSeenAt`. */
  touch(record: SessionRecord, lastSeenAt: number): Promise<void>;
  revokeToken(record: SessionRecord): Promise<void>;
  destroy(record: SessionRecord): Promise<void>;
  /** Removes sessions past either expiry; returns how many (Redis expires keys itself and returns 0). */
  deleteExpired(now: number): Promise<number>;
  /** Sessions past neither expiry at `now`, for the `ashapp_gateway_sessions` gauge. */
  countLive(now: number): Promise<number>;
  ping(): Promise<void>;
}
