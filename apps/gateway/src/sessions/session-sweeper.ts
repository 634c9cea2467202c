import type { Logger } from '@ashapp/platform';
import type { SessionService } from './session-service.ts';

/** Deletes expired sessions (and their sealed credentials) from the database now and then. */
export function createSessionSweeper(options: {
  sessions: SessionService;
  log: Logger;
  intervalMs?: number;
}) {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function sweepOnce() {
    try {
      const removed = await options.sessions.sweep();
      if (removed > 0) options.log.info({ removed }, 'expired sessions removed');
    } catch (err) {
      options.log.warn({ err: (err as Error).message }, 'session sweep failed; will retry');
    }
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => {
        // One sweep at a time; the promise is kept so stop() can wait for it.
        if (!running) running = sweepOnce().finally(() => (running = undefined));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
