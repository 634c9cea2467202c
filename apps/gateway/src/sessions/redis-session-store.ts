import type { Role } from '@ashapp/platform';
import type { Redis } from 'ioredis';
import type { SessionRecord, SessionStore } from './session-store.ts';

// Touch and revoke read the token hash from the stored record inside Redis, so a request that read the
// session before a revocation can never write the revoked token back.
const touchScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[1] + ARGV[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local sh = redis.call('HGET', KEYS[1], 'sessionHash')
if sh then redis.call('PEXPIRE', ARGV[3] .. sh, ARGV[2]) end
local th = redis.call('HGET', KEYS[1], 'tokenHash')
if th and th ~= '' then redis.call('PEXPIRE', ARGV[4] .. th, ARGV[2]) end
return 1`;

const revokeScript = `
local th = redis.call('HGET', KEYS[1], 'tokenHash')
if th and th ~= '' then redis.call('DEL', ARGV[1] .. th) end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'tokenHash', '') end
return 1`;

function toHash(record: SessionRecord): Record<string, string> {
  return {
    id: record.id,
    sessionHash: record.sessionHash,
    tokenHash: record.tokenHash ?? '',
    userId: record.userId,
    username: record.username,
    account: record.account,
    region: record.region,
    roles: JSON.stringify(record.roles),
    credentials: record.credentials,
    createdAt: String(record.createdAt),
    lastSeenAt: String(record.lastSeenAt),
    expiresAt: String(record.expiresAt),
  };
}

function fromHash(h: Record<string, string>): SessionRecord | undefined {
  if (!h.id || !h.sessionHash || !h.credentials) return undefined;
  return {
    id: h.id,
    sessionHash: h.sessionHash,
    tokenHash: h.tokenHash ? h.tokenHash : null,
    userId: h.userId ?? '',
    username: h.username ?? '',
    account: h.account ?? '',
    region: h.region ?? '',
    roles: JSON.parse(h.roles ?? '[]') as Role[],
    credentials: h.credentials,
    createdAt: Number(h.createdAt),
    lastSeenAt: Number(h.lastSeenAt),
    expiresAt: Number(h.expiresAt),
  };
}

/**
 * Sessions in Redis so several gateway replicas share them: one hash per session plus two index keys
 * (cookie hash → id, token hash → id). Every key expires at the earlier of the idle and the absolute
 * expiry, so Redis forgets abandoned sessions by itself.
 *
 * For the session gauge, one sorted set holds every session id scored by that same expiry time (updated by
 * create, touch and destroy): counting is a ZREMRANGEBYSCORE of what has expired since the last scrape plus
 * a ZCARD, O(log n + expired), where counting the keys would SCAN the whole keyspace on every scrape.
 */
export function createRedisSessionStore(options: {
  redis: Redis;
  idleMs: number;
  prefix?: string;
}): SessionStore {
  const { redis, idleMs } = options;
  const prefix = options.prefix ?? 'ashapp:gateway:';
  const recordKey = (id: string) => `${prefix}session:${id}`;
  const sidPrefix = `${prefix}sid:`;
  const tokPrefix = `${prefix}tok:`;
  const liveKey = `${prefix}live`;

  const ttlMs = (record: SessionRecord, now: number) => Math.max(1, Math.min(idleMs, record.expiresAt - now));

  async function findVia(indexKey: string, field: 'sessionHash' | 'tokenHash', hash: string) {
    const id = await redis.get(indexKey);
    if (!id) return undefined;
    const record = fromHash(await redis.hgetall(recordKey(id)));
    // An index key may outlive a revoked token by a moment; the record is the truth.
    return record && record[field] === hash ? record : undefined;
  }

  return {
    kind: 'redis',
    async create(record) {
      const ttl = ttlMs(record, record.lastSeenAt);
      const multi = redis
        .multi()
        .hset(recordKey(record.id), toHash(record))
        .pexpire(recordKey(record.id), ttl)
        .set(sidPrefix + record.sessionHash, record.id, 'PX', ttl)
        .zadd(liveKey, record.lastSeenAt + ttl, record.id);
      if (record.tokenHash) multi.set(tokPrefix + record.tokenHash, record.id, 'PX', ttl);
      await multi.exec();
    },
    findBySessionHash: (hash) => findVia(sidPrefix + hash, 'sessionHash', hash),
    findByTokenHash: (hash) => findVia(tokPrefix + hash, 'tokenHash', hash),
    async touch(record, lastSeenAt) {
      const ttl = ttlMs(record, lastSeenAt);
      await redis.eval(
        touchScript,
        2,
        recordKey(record.id),
        liveKey,
        String(lastSeenAt),
        String(ttl),
        sidPrefix,
        tokPrefix,
        record.id,
      );
    },
    async revokeToken(record) {
      await redis.eval(revokeScript, 1, recordKey(record.id), tokPrefix);
    },
    async destroy(record) {
      const keys = [recordKey(record.id), sidPrefix + record.sessionHash];
      if (record.tokenHash) keys.push(tokPrefix + record.tokenHash);
      await redis.multi().del(...keys).zrem(liveKey, record.id).exec();
    },
    deleteExpired: async () => 0,
    async countLive(now) {
      const result = await redis.multi().zremrangebyscore(liveKey, '-inf', now).zcard(liveKey).exec();
      const [err, count] = result?.[1] ?? [new Error('no answer from Redis')];
      if (err) throw err;
      return Number(count);
    },
    async ping() {
      await redis.ping();
    },
  };
}
