import type { Logger } from '@ashapp/platform';
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
  const maxQueued = options.maxQueuedEvents ?? 1000;
  const retryMs = options.retryMs ?? 3000;
  const closers = new Set<() => void>();

  return {
    open(request, reply, filter) {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Proxies such as nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      });
      const queue: string[] = [];
      let blocked = false;
      let dropped = 0;
      let closed = false;

      function write(chunk: string): void {
        if (!raw.write(chunk)) {
          blocked = true;
          raw.once('drain', onDrain);
        }
      }

      function onDrain(): void {
        blocked = false;
        while (queue.length > 0 && !blocked) write(queue.shift() as string);
        if (!blocked && dropped > 0) {
          write(`event: lagged\ndata: ${JSON.stringify({ dropped })}\n\n`);
          dropped = 0;
        }
      }

      const unsubscribe = options.bus.subscribe((event) => {
        if (closed || !matchesFilter(event, filter)) return;
        const chunk = `id: ${event.id}\nevent: audit\ndata: ${JSON.stringify(event)}\n\n`;
        if (!blocked) return write(chunk);
        // A slow reader never holds up ingest: it gets a bounded backlog, then a note of what it missed.
        if (queue.length < maxQueued) queue.push(chunk);
        else dropped += 1;
      });
      const heartbeat = setInterval(() => {
        if (!blocked) write(': ping\n\n');
      }, options.heartbeatMs);

      function close(): void {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        raw.off('drain', onDrain);
        closers.delete(end);
        queue.length = 0;
      }
      function end(): void {
        close();
        raw.end();
      }
      closers.add(end);
      raw.on('close', close);
      raw.on('error', (err) => {
        request.log.debug({ err: err.message }, 'live feed connection failed');
        close();
      });
      write(`retry: ${retryMs}\n: connected\n\n`);
      request.log.debug({ listeners: options.bus.listenerCount() }, 'live feed opened');
    },

    closeAll() {
      if (closers.size > 0) options.log.info({ connections: closers.size }, 'closing live feeds');
      for (const end of [...closers]) end();
    },

    connectionCount: () => closers.size,
  };
}
