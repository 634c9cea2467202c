import { ConflictError, type Logger } from '@ashapp/platform';

/**
 * Runs deployment pipelines in the background and keeps track of them: one at a time per app, each with
 * an AbortController, so shutdown can stop them and wait for their clean-up instead of abandoning them.
 */
export interface DeploymentRunner {
  /** Claims the app's slot synchronously; throws ConflictError (409) while another pipeline holds it. */
  reserve(key: string): Reservation;
  isRunning(key: string): boolean;
  running(): number;
  /** Resolves when every pipeline running now (and any they started) has finished. */
  idle(): Promise<void>;
  /** Aborts every pipeline and waits for them to finish their clean-up. */
  stop(): Promise<void>;
}

export interface Reservation {
  /**
   * Starts the task in the reserved slot. The app's slot is freed when the task settles or calls
   * `releaseApp` (once the target is no longer touched: record keeping may go on, still tracked).
   */
  start(task: (signal: AbortSignal, releaseApp: () => void) => Promise<void>): void;
  /** Gives the slot back without running anything (the request failed its checks). */
  release(): void;
}

export function createDeploymentRunner(options: { log: Logger }): DeploymentRunner {
  const slots = new Map<string, { controller: AbortController; done: Promise<void> | undefined }>();
  /** Every task still running, including those that already gave their app's slot back. */
  const tasks = new Map<Promise<void>, AbortController>();
  let stopping = false;

  return {
    reserve(key) {
      if (stopping) throw new ConflictError('the deployer is shutting down; try again shortly');
      if (slots.has(key))
        throw new ConflictError(`a deployment of ${key} is already running; wait for it to finish`);
      const slot = { controller: new AbortController(), done: undefined as Promise<void> | undefined };
      slots.set(key, slot);
      let used = false;
      return {
        start(task) {
          if (used) throw new Error('reservation already used');
          used = true;
          const releaseApp = () => {
            if (slots.get(key) === slot) slots.delete(key);
          };
          const done: Promise<void> = task(slot.controller.signal, releaseApp)
            .catch((err: unknown) => {
              options.log.error({ err, key }, 'deployment pipeline failed unexpectedly');
            })
            .finally(() => {
              releaseApp();
              tasks.delete(done);
            });
          slot.done = done;
          tasks.set(done, slot.controller);
        },
        release() {
          if (used) return;
          used = true;
          slots.delete(key);
        },
      };
    },
    isRunning: (key) => slots.has(key),
    running: () => tasks.size,
    async idle() {
      for (let round = 0; round < 100 && tasks.size > 0; round += 1) await Promise.all([...tasks.keys()]);
    },
    async stop() {
      stopping = true;
      for (const controller of tasks.values()) controller.abort(new Error('the deployer is shutting down'));
      await Promise.all([...tasks.keys()]);
    },
  };
}
