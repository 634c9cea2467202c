import rateLimit from '@fastify/rate-limit';
import { RateLimitedError } from '@ashapp/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { RateLimitRule } from '../config.ts';

export type RateLimitName = 'ip' | 'login' | 'user';

/** The gateway's three fixed-window limits, counted by `@fastify/rate-limit`. */
export interface RequestRateLimits {
  /** Counts the request against one limit; throws a 429 `RateLimitedError` (with Retry-After) past it. */
  enforce(request: FastifyRequest, which: RateLimitName): Promise<void>;
}

const what: Record<RateLimitName, string> = {
  ip: 'from this address',
  login: 'to sign in',
  user: 'for this user',
};

const keyOf: Record<RateLimitName, (request: FastifyRequest) => string> = {
  ip: (request) => `ip:${request.ip}`,
  login: (request) => `login:${request.ip}`,
  user: (request) => `user:${request.auth?.userId ?? ''}`,
};

/**
 * Registers one `@fastify/rate-limit` instance per limit, each in a scope of its own (the plugin keeps one
 * max, window and key per instance), used through its `createRateLimit` checker from the gateway's
 * authentication hook: the per-user limit can only be counted once the session is known, after the per-IP
 * one. With Redis the counters are shared by every replica (the plugin's store: INCR and PEXPIRE in one
 * script, keys `ashapp:gateway:rl:<ip|login|user>:…`); without it they live in an LRU in this process,
 * bounded to `maxKeys` per limit so a flood of addresses cannot grow memory (with one gateway process that
 * memory is the shared state; a disk write per request would buy nothing).
 */
export async function registerRateLimits(
  app: FastifyInstance,
  options: {
    rules: Readonly<Record<RateLimitName, RateLimitRule>>;
    redis?: Redis | undefined;
    prefix?: string;
    maxKeys?: number;
  },
): Promise<RequestRateLimits> {
  const checks: Partial<Record<RateLimitName, ReturnType<FastifyInstance['createRateLimit']>>> = {};
  for (const name of ['ip', 'login', 'user'] as const) {
    await app.register(async (scope) => {
      await scope.register(rateLimit, {
        global: false,
        max: options.rules[name].max,
        timeWindow: options.rules[name].windowMs,
        keyGenerator: keyOf[name],
        ...(options.redis
          ? { redis: options.redis, nameSpace: options.prefix ?? 'ashapp:gateway:rl:' }
          : { cache: options.maxKeys ?? 100_000 }),
      });
      checks[name] = scope.createRateLimit();
    });
  }
  return {
    async enforce(request, which) {
      const check = checks[which];
      if (!check) throw new Error(`rate limit ${which} is not registered`);
      const result = await check(request);
      if (!result.isAllowed && result.isExceeded) {
        throw new RateLimitedError(
          Math.max(1, result.ttlInSeconds),
          `too many requests ${what[which]}; retry later`,
        );
      }
    },
  };
}
