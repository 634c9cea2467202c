import type { Logger } from '@ashapp/platform';
import type { DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';

/**
 * Leases make several deployer replicas safe: the replica running a deployment holds a lease on its record
 * and renews it every third of the lease time. A replica that dies (SIGKILL, node lost) stops renewing; once
 * the lease lapses, another replica claims the record (compare-and-set, so exactly one does) and finishes
 * it: Failed with the reason when nothing had been changed yet, otherwise rolled back. A record never stays
 * "Building" because the process running it is gone.
 */
export interface DeploymentLeases {
  readonly replicaId: string;
  /** The lease a new record starts with: this replica, now + lease time. */
  initial(now: number): { lease_owner: string; lease_expires_at: number };
  /** Renews this record's lease until `untrack` (the task settled). */
  track(deploymentId: string): void;
  untrack(deploymentId: string): void;
  /** Claims the lapsed leases (once) and hands each claimed record to `recover`; returns how many. */
  sweep(): Promise<number>;
  /** Renews and sweeps on a timer until `stop`. */
  start(): void;
  stop(): Promise<void>;
}

export function createDeploymentLeases(options: {
  repository: DeploymentsRepository;
  replicaId: string;
  leaseMs: number;
  log: Logger;
  /** Starts finishing a claimed record as a tracked task; false when it cannot start now (the app is busy here). */
  recover(row: DeploymentRow): boolean;
  now?: () => number;
}): DeploymentLeases {
  const { repository, replicaId, leaseMs, log } = options;
  const now = options.now ?? Date.now;
  const tracked = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function renew(): Promise<void> {
    const ids = [...tracked];
    const held = new Set(await repository.renewLeases(replicaId, ids, now() + leaseMs));
    for (const id of ids) {
      // Only possible when this replica stalled longer than the lease: another one took the record over.
      if (!held.has(id) && tracked.has(id))
        log.error({ deploymentId: id }, 'lost the lease of a running deployment to another replica');
    }
  }

  async function sweep(): Promise<number> {
    let claimed = 0;
    for (const row of await repository.listExpiredLeases(now())) {
      if (tracked.has(row.id)) continue;
      if (!(await repository.claimLease(row, replicaId, now() + leaseMs))) continue;
      log.warn(
        { deploymentId: row.id, state: row.state, previousReplica: row.lease_owner },
        'claimed a deployment whose replica stopped renewing its lease',
      );
      // Tracked at once, so the lease stays ours while the record is being finished.
      tracked.add(row.id);
      if (options.recover(row)) claimed += 1;
      else tracked.delete(row.id);
    }
    return claimed;
  }

  function tick(): void {
    // One round at a time; the next tick chains onto it, and stop() waits for the last.
    running = running
      .then(async () => {
        await renew();
        await sweep();
      })
      .catch((err: unknown) => log.error({ err }, 'deployment lease round failed'));
  }

  return {
    replicaId,
    initial: (at) => ({ lease_owner: replicaId, lease_expires_at: at + leaseMs }),
    track: (id) => void tracked.add(id),
    untrack: (id) => void tracked.delete(id),
    sweep,
    start() {
      if (timer) return;
      timer = setInterval(tick, Math.max(200, Math.floor(leaseMs / 3)));
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
