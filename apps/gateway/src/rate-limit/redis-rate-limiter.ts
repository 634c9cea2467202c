import type { Redis } from 'ioredis';
import { decide, type RateLimiter } from './rate-limiter.ts';

// Increment and start the window's expiry in one step, so a counter can never be left without a TTL.
const hitScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

/** Counters shared by every gateway replica. */
export function createRedisRateLimiter(options: { redis: Redis; prefix?: string }): RateLimiter {
  const prefix = options.prefix ?? 'ashapp:gateway:rl:';
  return {
    kind: 'redis',
    async hit(key, max, windowMs) {
      const [count, ttl] = (await options.redis.eval(hitScript, 1, prefix + key, String(windowMs))) as [
        number,
        number,
      ];
      return decide(Number(count), max, Number(ttl));
    },
  };
}
