import type { Logger } from '@ashapp/platform';
import type { EventsRepository } from '../events/events-repository.ts';

export interface RetentionSweeper {
  /** Deletes every event older than the retention period, in bounded batches; returns how many. */
  sweep(now?: number): Promise<number>;
  /** Sweeps now and then every interval, until `stop`. Does nothing when retention is 0 (keep forever). */
  start(): void;
  /** Cancels the schedule and waits for a sweep in progress to finish its current batch. */
  stop(): Promise<void>;
}

export interface RetentionSweeperOptions {
  events: Pick<EventsRepository, 'deleteOlderThan'>;
  log: Logger;
  retentionDays: number;
  intervalMs: number;
  /** Rows per DELETE: small enough that ingest never waits long behind the sweep. */
  batchSize?: number;
}

const dayMs = 86_400_000;

export function createRetentionSweeper(options: RetentionSweeperOptions): RetentionSweeper {
  const log = options.log.child({ component: 'retention' });
  const batchSize = options.batchSize ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopping = false;

  async function sweep(now = Date.now()): Promise<number> {
    if (options.retentionDays <= 0) return 0;
    const cutoff = now - options.retentionDays * dayMs;
    let total = 0;
    // Each batch removes rows or ends the loop, so it ends once nothing older than the cutoff is left.
    for (;;) {
      const deleted = await options.events.deleteOlderThan(cutoff, batchSize);
      total += deleted;
      if (deleted < batchSize || stopping) break;
    }
    if (total > 0)
      log.info({ deleted: total, cutoff: new Date(cutoff).toISOString() }, 'old audit events deleted');
    return total;
  }

  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      timer = undefined;
      running = sweep()
        .then(() => undefined)
        .catch((err: unknown) => log.error({ err }, 'retention sweep failed; will retry'))
        .finally(() => {
          running = undefined;
          if (!stopping) schedule(options.intervalMs);
        });
    }, delayMs);
  }

  return {
    sweep,
    start() {
      if (options.retentionDays <= 0 || timer || running) return;
      stopping = false;
      schedule(0);
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
