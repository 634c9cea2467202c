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
  /** Starts the task in the reserved slot; the slot is freed when it settles. */
  start(task: (signal: AbortSignal) => Promise<void>): void;
  /** Gives the slot back without running anything (the request failed its checks). */
  release(): void;
}

export function createDeploymentRunner(options: { log: Logger }): DeploymentRunner {
  const slots = new Map<string, { controller: AbortController; done: Promise<void> | undefined }>();
  let stopping = false;

  return {
    reserve(key) {
      if (stopping) throw new ConflictError('the deployer is shutting down; try again shortly');
      if (slots.has(key)) throw new ConflictError(`a deployment of ${key} is already running; wait for it to finish`);
      const slot = { controller: new AbortController(), done: undefined as Promise<void> | undefined };
      slots.set(key, slot);
      let used = false;
      return {
        start(task) {
          if (used) throw new Error('reservation already used');
          used = true;
          slot.done = task(slot.controller.signal)
            .catch((err: unknown) => {
              options.log.error({ err, key }, 'deployment pipeline failed unexpectedly');
            })
            .finally(() => {
              slots.delete(key);
            });
        },
        release() {
          if (used) return;
          used = true;
          slots.delete(key);
        },
      };
    },
    isRunning: (key) => slots.has(key),
    running: () => slots.size,
    async idle() {
      for (let round = 0; round < 100 && slots.size > 0; round += 1) {
        await Promise.all([...slots.values()].map((s) => s.done ?? Promise.resolve()));
      }
    },
    async stop() {
      stopping = true;
      for (const slot of slots.values()) slot.controller.abort(new Error('the deployer is shutting down'));
      await Promise.all([...slots.values()].map((s) => s.done ?? Promise.resolve()));
    },
  };
}
