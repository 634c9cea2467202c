import type { EventView } from '@ashapp/contracts/monitor';

/**
 * Fan-out of newly stored events to live-feed connections. In one process the in-memory adapter is
 * enough; with several monitor replicas a pub/sub adapter (Redis) would implement the same port so that a
 * feed on one replica sees events ingested by another.
 */
export interface EventBus {
  publish(events: readonly EventView[]): void;
  /** Returns the function that removes the listener. Listeners must not throw or block. */
  subscribe(listener: (event: EventView) => void): () => void;
  listenerCount(): number;
}

export function createInMemoryEventBus(): EventBus {
  const listeners = new Set<(event: EventView) => void>();
  return {
    publish(events) {
      if (listeners.size === 0) return;
      for (const event of events) for (const listener of listeners) listener(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    listenerCount: () => listeners.size,
  };
}
