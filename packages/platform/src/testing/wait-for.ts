export interface WaitForOptions {
  /** Gives up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between two checks (default 200 ms). */
  intervalMs?: number;
  /** Treats a check that throws as "not yet" (a server still starting) instead of failing at once. */
  retryErrors?: boolean;
}

/**
 * Polls `check` until it returns something other than `undefined` or `false`, and returns that. Bounded: after
 * `timeoutMs` it fails naming `what` (and the last error when errors are retried).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 200, retryErrors = false }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : `: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
