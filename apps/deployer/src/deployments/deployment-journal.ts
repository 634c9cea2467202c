import { maskSecretsInText, type Logger } from '@ashapp/platform';
import type { DeploymentEventBus } from './deployment-events.ts';
import { assertCanMove, isFinalState, stateProgress, type DeploymentState } from './deployment-states.ts';
import type { DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';

/** Longest log line kept; a build tool printing a megabyte on one line must not bloat the record. */
const maxLineLength = 4000;

export interface FinalDetails {
  url?: string | null;
  image?: string | null;
  manifest?: string | null;
  error?: string | null;
}

/**
 * The record of one deployment as it runs: every state change and log line is persisted
 * (deployment_events, in order) and published on the bus for live viewers. Log lines may come faster than
 * the database writes them (build output), so writes queue in order; `state` and `finish` wait for them.
 */
export interface DeploymentJournal {
  readonly deploymentId: string;
  state(): DeploymentState;
  move(to: DeploymentState, message?: string): Promise<void>;
  log(line: string): void;
  /** Moves to the final state, stores the outcome and announces `done`. */
  finish(to: DeploymentState, details: FinalDetails): Promise<void>;
  /** Waits until every queued write is stored. */
  flush(): Promise<void>;
}

export function createDeploymentJournal(options: {
  row: Pick<DeploymentRow, 'id' | 'state'>;
  repository: DeploymentsRepository;
  bus: DeploymentEventBus;
  log: Logger;
  /** The last stored event's seq (a journal resumed after a restart continues numbering). */
  lastSeq?: number;
  now?: () => number;
}): DeploymentJournal {
  const { repository, bus } = options;
  const id = options.row.id;
  const now = options.now ?? Date.now;
  let current = options.row.state as DeploymentState;
  let seq = options.lastSeq ?? 0;
  let writes: Promise<void> = Promise.resolve();

  function enqueue(work: () => Promise<void>): Promise<void> {
    writes = writes.then(work).catch((err: unknown) => {
      // A lost log line must not stop a deployment; the error is logged for operators.
      options.log.error({ err, deploymentId: id }, 'could not store a deployment event');
    });
    return writes;
  }

  /**
   * Stores an event, then publishes it: a viewer that subscribes and then reads the stored events can
   * never miss one (anything published before it subscribed is already stored).
   */
  function record(
    kind: 'state' | 'log',
    stage: DeploymentState,
    text: string,
    publish: (seq: number, at: string) => void,
  ): Promise<void> {
    seq += 1;
    const event = { deployment_id: id, seq, at: now(), kind, stage, text };
    return enqueue(async () => {
      await repository.appendEvent(event);
      publish(event.seq, new Date(event.at).toISOString());
    });
  }

  return {
    deploymentId: id,
    state: () => current,
    async move(to, message) {
      assertCanMove(current, to);
      current = to;
      await record('state', to, message ?? '', (n, at) =>
        bus.publish({
          type: 'state',
          deploymentId: id,
          state: to,
          progress: stateProgress[to],
          at,
          seq: n,
          ...(message ? { message } : {}),
        }),
      );
      await enqueue(() => repository.updateDeployment(id, { state: to, progress: stateProgress[to] }));
    },
    log(line) {
      const text = maskSecretsInText(line.length > maxLineLength ? `${line.slice(0, maxLineLength)}…` : line);
      const stage = current;
      // Unawaited so logging never slows a build: enqueue never rejects, and move/finish await the queue.
      void record('log', stage, text, (n, at) =>
        bus.publish({ type: 'log', deploymentId: id, stage, line: text, at, seq: n }),
      );
    },
    async finish(to, details) {
      if (!isFinalState(to)) throw new Error(`${to} is not a final state`);
      await this.move(to, details.error ?? undefined);
      const at = now();
      await enqueue(() =>
        repository.updateDeployment(id, {
          finished_at: at,
          ...(details.url !== undefined ? { url: details.url } : {}),
          ...(details.image !== undefined ? { image: details.image } : {}),
          ...(details.manifest !== undefined ? { manifest: details.manifest } : {}),
          ...(details.error !== undefined ? { error: details.error } : {}),
        }),
      );
      bus.publish({
        type: 'done',
        deploymentId: id,
        state: to,
        at: new Date(at).toISOString(),
        ...(details.url ? { url: details.url } : {}),
        ...(details.image ? { image: details.image } : {}),
        ...(details.manifest ? { manifest: details.manifest } : {}),
        ...(details.error ? { error: details.error } : {}),
      });
    },
    flush: () => writes,
  };
}
