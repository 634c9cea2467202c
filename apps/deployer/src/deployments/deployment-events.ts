import type { DeploymentState } from './deployment-states.ts';

export type DeploymentEvent =
  | {
      type: 'state';
      deploymentId: string;
      state: DeploymentState;
      progress: number;
      at: string;
      message?: string;
      /** Position in the persisted event list; a stream skips what it already replayed. */
      seq?: number;
    }
  | { type: 'log'; deploymentId: string; stage: DeploymentState; line: string; at: string; seq?: number }
  | {
      type: 'done';
      deploymentId: string;
      state: DeploymentState;
      url?: string;
      image?: string;
      manifest?: string;
      error?: string;
      at: string;
    };

/** Fan-out of deployment progress to live viewers (server-sent events) inside one deployer process. */
export interface DeploymentEventBus {
  publish(event: DeploymentEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(deploymentId: string, listener: (event: DeploymentEvent) => void): () => void;
  listenerCount(deploymentId: string): number;
}

export function createDeploymentEventBus(): DeploymentEventBus {
  const listeners = new Map<string, Set<(event: DeploymentEvent) => void>>();
  return {
    publish(event) {
      for (const listener of listeners.get(event.deploymentId) ?? []) {
        listener(event);
      }
    },
    subscribe(deploymentId, listener) {
      let set = listeners.get(deploymentId);
      if (!set) {
        set = new Set();
        listeners.set(deploymentId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(deploymentId);
      };
    },
    listenerCount: (deploymentId) => listeners.get(deploymentId)?.size ?? 0,
  };
}
