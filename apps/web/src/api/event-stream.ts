/** Server-sent events with EventSource: named events, parsed JSON, and a visible connection state. */

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  /** Handlers per event name (`event: audit` → `audit`). Data is parsed JSON. */
  handlers: Record<string, (data: unknown) => void>;
  onStatus?: (status: StreamStatus) => void;
  /** Injected for tests; defaults to the browser's EventSource. */
  createSource?: (url: string) => EventSource;
}

export interface EventStream {
  close(): void;
}

function parseData(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function openEventStream(url: string, options: EventStreamOptions): EventStream {
  const source = options.createSource ? options.createSource(url) : new EventSource(url);
  let closed = false;
  const report = (status: StreamStatus) => {
    if (!closed || status === 'closed') options.onStatus?.(status);
  };
  report('connecting');
  source.addEventListener('open', () => report('open'));
  source.addEventListener('error', () => {
    // EventSource retries by itself while readyState is CONNECTING; CLOSED means it gave up
    // (for instance the gateway answered 401 or a non-stream content type).
    report(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  });
  for (const [name, handler] of Object.entries(options.handlers)) {
    source.addEventListener(name, (event) => {
      if (closed) return;
      handler(parseData((event as MessageEvent).data));
    });
  }
  return {
    close() {
      if (closed) return;
      closed = true;
      source.close();
      options.onStatus?.('closed');
    },
  };
}
