import { decide, type RateLimiter } from './rate-limiter.ts';

/**
 * Counters in this process's memory, for the embedded default (one gateway process). Counting in the
 * SQLite file instead would add a disk write to every request and buy nothing: with one process the
 * memory is already shared by every request, and losing counters on restart only forgets at most one
 * window. Several replicas need Redis (`REDIS_URL`), which is then used instead.
 */
export function createMemoryRateLimiter(options: { maxKeys?: number; now?: () => number } = {}): RateLimiter {
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();

  function prune(t: number) {
    for (const [key, w] of windows) if (w.resetAt <= t) windows.delete(key);
    // Still full after dropping finished windows: forget the oldest entries (Map keeps insertion order)
    // rather than grow without bound under a flood of distinct keys.
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(key);
    }
  }

  return {
    kind: 'memory',
    async hit(key, max, windowMs) {
      const t = now();
      let w = windows.get(key);
      if (!w || w.resetAt <= t) {
        if (windows.size >= maxKeys) prune(t);
        w = { count: 0, resetAt: t + windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      return decide(w.count, max, w.resetAt - t);
    },
  };
}
