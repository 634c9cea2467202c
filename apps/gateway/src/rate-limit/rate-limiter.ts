/** The outcome of counting one request against a limit. */
export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends (the Retry-After value when refused). */
  retryAfterSeconds: number;
  remaining: number;
}

/** Fixed-window counters: `hit` counts one request under `key` and says whether it is within `max`. */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  hit(key: string, max: number, windowMs: number): Promise<RateDecision>;
}

export function decide(count: number, max: number, msLeft: number): RateDecision {
  return {
    allowed: count <= max,
    retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
    remaining: Math.max(0, max - count),
  };
}
