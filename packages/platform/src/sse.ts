import type { FastifyReply, FastifyRequest } from 'fastify';

/** One server-sent event: `event:` name, JSON `data:`, and an `id:` a reconnecting browser resumes from. */
export interface ServerSentEvent {
  event: string;
  data: unknown;
  id?: string | number;
}

export interface EventStreamOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs: number;
  /** What the browser waits before reconnecting (the `retry:` field). */
  retryMs?: number;
  /**
   * Events held while the client reads slower than they are sent; beyond this they are dropped and
   * counted, and the client gets a `lagged` event saying how many it missed once it catches up.
   */
  maxQueuedEvents?: number;
  /** Name of the event that reports dropped events (data `{ dropped }`). */
  laggedEvent?: string;
}

export interface EventStream {
  /**
   * Sends an event: written at once while the client keeps up, else queued (bounded), else dropped.
   * Returns false when it was dropped or the stream is closed.
   */
  send(event: ServerSentEvent): boolean;
  /**
   * Resolves once the client has taken what was written (at once when it keeps up) or the stream closed.
   * A producer that can wait, such as one reading stored events, awaits this before each send and so
   * never queues or drops anything.
   */
  writable(): Promise<void>;
  /** Runs once when the stream closes, whoever closes it (client gone, `end`, socket error). */
  onClose(listener: () => void): void;
  /** Writes what is queued and ends the response. */
  end(): void;
  readonly closed: boolean;
  /** What is held in memory for this client right now (tests and metrics). */
  backlog(): { queuedEvents: number; bufferedBytes: number };
}

function formatEvent(event: ServerSentEvent): string {
  const id = event.id !== undefined ? `id: ${event.id}\n` : '';
  return `${id}event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * Takes over a Fastify reply and answers with a server-sent event stream. Back-pressure is honoured:
 * nothing more is written to a socket whose buffer is full; events wait in a bounded queue (then are
 * dropped and reported with a `lagged` event), heartbeats are skipped while the client is behind, and a
 * producer that can wait uses `writable()`. A slow reader therefore never makes memory grow without bound.
 *
 * @example
 * const stream = openEventStream(request, reply, { heartbeatMs: 15_000 });
 * const unsubscribe = bus.subscribe((event) => stream.send({ event: 'audit', id: event.id, data: event }));
 * stream.onClose(unsubscribe);
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: EventStreamOptions,
): EventStream {
  const maxQueued = options.maxQueuedEvents ?? 1000;
  const laggedEvent = options.laggedEvent ?? 'lagged';
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
  const closeListeners: (() => void)[] = [];
  let waiters: (() => void)[] = [];
  let blocked = false;
  let dropped = 0;
  let closed = false;

  function write(chunk: string): void {
    if (!raw.write(chunk)) {
      blocked = true;
      raw.once('drain', onDrain);
    }
  }

  function release(): void {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  }

  function onDrain(): void {
    blocked = false;
    while (queue.length > 0 && !blocked) write(queue.shift() as string);
    if (blocked) return;
    if (dropped > 0) {
      write(formatEvent({ event: laggedEvent, data: { dropped } }));
      dropped = 0;
    }
    if (!blocked) release();
  }

  const heartbeat = setInterval(() => {
    if (!blocked && !closed) write(': ping\n\n');
  }, options.heartbeatMs);

  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    raw.off('drain', onDrain);
    queue.length = 0;
    release();
    for (const listener of closeListeners.splice(0)) listener();
  }

  raw.on('close', close);
  raw.on('error', (err) => {
    request.log.debug({ err: err.message }, 'event stream connection failed');
    close();
  });
  write(`retry: ${options.retryMs ?? 3000}\n: connected\n\n`);

  return {
    send(event) {
      if (closed) return false;
      const chunk = formatEvent(event);
      if (!blocked) {
        write(chunk);
        return true;
      }
      if (queue.length < maxQueued) {
        queue.push(chunk);
        return true;
      }
      dropped += 1;
      return false;
    },
    writable() {
      if (closed || !blocked) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    onClose(listener) {
      if (closed) listener();
      else closeListeners.push(listener);
    },
    end() {
      if (closed) return;
      // Queued events go into the socket's buffer: `end` flushes it before closing.
      for (const chunk of queue.splice(0)) raw.write(chunk);
      close();
      raw.end();
    },
    get closed() {
      return closed;
    },
    backlog: () => ({ queuedEvents: queue.length, bufferedBytes: raw.writableLength }),
  };
}
