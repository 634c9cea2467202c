import { openEventStream, type EventStream, type Logger } from '@ashapp/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventBus } from './event-bus.ts';
import type { EventFilter } from './events-repository.ts';
import { matchesFilter } from './events-service.ts';

/** Server-sent event connections fed from the event bus. */
export interface LiveFeed {
  /** Takes over the response and streams matching events until the client goes away or `closeAll`. */
  open(request: FastifyRequest, reply: FastifyReply, filter: EventFilter): void;
  /** Ends every open stream (shutdown), so draining does not wait for clients that never hang up. */
  closeAll(): void;
  connectionCount(): number;
}

export interface LiveFeedOptions {
  bus: EventBus;
  log: Logger;
  heartbeatMs: number;
  /** Events held for a client that reads slower than events arrive; beyond it they are dropped. */
  maxQueuedEvents?: number;
  /** What the browser waits before reconnecting. */
  retryMs?: number;
}

export function createLiveFeed(options: LiveFeedOptions): LiveFeed {
  const streams = new Set<EventStream>();

  return {
    open(request, reply, filter) {
      // A slow reader never holds up ingest: it gets a bounded backlog, then a `lagged` note of what it missed.
      const stream = openEventStream(request, reply, {
        heartbeatMs: options.heartbeatMs,
        maxQueuedEvents: options.maxQueuedEvents ?? 1000,
        retryMs: options.retryMs ?? 3000,
      });
      const unsubscribe = options.bus.subscribe((event) => {
        if (matchesFilter(event, filter)) stream.send({ event: 'audit', id: event.id, data: event });
      });
      streams.add(stream);
      stream.onClose(() => {
        unsubscribe();
        streams.delete(stream);
      });
      request.log.debug({ listeners: options.bus.listenerCount() }, 'live feed opened');
    },

    closeAll() {
      if (streams.size > 0) options.log.info({ connections: streams.size }, 'closing live feeds');
      for (const stream of [...streams]) stream.end();
    },

    connectionCount: () => streams.size,
  };
}
