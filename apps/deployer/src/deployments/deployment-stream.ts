import type { Logger } from '@ashapp/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeploymentEventBus } from './deployment-events.ts';
import { stateProgress, type DeploymentState } from './deployment-states.ts';
import type { DeploymentEventRow, DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';

/**
 * Server-sent events for one deployment, in the shape the web app reads: `state` ({state, progress, at,
 * message?}), `log` ({line, stage, at}) and a final `done` ({state, url?, image?, manifest?, error?}),
 * after which the stream ends. Everything comes from the stored events, read with a cursor (their seq), so
 * a viewer sees the same stream from any deployer replica sharing the database, whichever replica runs the
 * deployment: the in-process bus only wakes the reader early, the poll interval catches events written by
 * other replicas. Each event carries its seq as the SSE id, so a reconnect (Last-Event-ID) resumes.
 */
export interface DeploymentStreams {
  open(request: FastifyRequest, reply: FastifyReply, row: DeploymentRow): Promise<void>;
  /** Ends every open stream (shutdown), so draining does not wait for viewers. */
  closeAll(): void;
  count(): number;
}

function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function doneFromRow(row: DeploymentRow): Record<string, unknown> {
  return {
    state: row.state,
    ...(row.url ? { url: row.url } : {}),
    ...(row.image ? { image: row.image } : {}),
    ...(row.manifest ? { manifest: row.manifest } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

function eventFrame(event: DeploymentEventRow): string {
  const at = new Date(event.at).toISOString();
  if (event.kind === 'state') {
    const state = event.stage as DeploymentState;
    return frame(
      'state',
      { state, progress: stateProgress[state] ?? 0, at, ...(event.text ? { message: event.text } : {}) },
      event.seq,
    );
  }
  return frame('log', { line: event.text, stage: event.stage, at }, event.seq);
}

/** Events read per query; a long build log is sent in pages. */
const pageSize = 500;

export function createDeploymentStreams(options: {
  repository: DeploymentsRepository;
  bus: DeploymentEventBus;
  log: Logger;
  heartbeatMs: number;
  /** How often to look for events written by another replica. */
  pollMs?: number;
  retryMs?: number;
}): DeploymentStreams {
  const closers = new Set<() => void>();
  const pollMs = options.pollMs ?? 500;

  return {
    async open(request, reply, row) {
      const lastEventId = Number(request.headers['last-event-id']);
      let lastSeq = Number.isInteger(lastEventId) ? lastEventId : -1;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      let wake: (() => void) | undefined;
      const write = (chunk: string) => {
        if (!closed) raw.write(chunk);
      };
      const heartbeat = setInterval(() => write(': ping\n\n'), options.heartbeatMs);
      // An event stored by this replica wakes the reader at once; other replicas' events are found by polling.
      const unsubscribe = options.bus.subscribe(row.id, () => wake?.());
      function close(): void {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        closers.delete(end);
        wake?.();
      }
      function end(): void {
        close();
        raw.end();
      }
      closers.add(end);
      raw.on('close', close);
      raw.on('error', (err) => {
        request.log.debug({ err: err.message }, 'deployment stream failed');
        close();
      });
      write(`retry: ${options.retryMs ?? 3000}\n: connected\n\n`);

      /** Sends every stored event after the cursor; true when at least one was sent. */
      async function drain(): Promise<boolean> {
        let sent = false;
        for (;;) {
          const events = await options.repository.listEventsAfter(row.id, lastSeq, pageSize);
          for (const event of events) {
            if (closed) return sent;
            lastSeq = event.seq;
            write(eventFrame(event));
            sent = true;
          }
          if (events.length < pageSize) return sent;
        }
      }

      try {
        while (!closed) {
          // Read the record before the events: the journal stores every event before it marks the record
          // finished, so once finished is seen here, the drain below has everything.
          const current = await options.repository.getDeployment(row.id);
          await drain();
          if (closed) return;
          if (!current || current.finished_at !== null) {
            write(frame('done', doneFromRow(current ?? row)));
            end();
            return;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, pollMs);
            function done(): void {
              clearTimeout(timer);
              wake = undefined;
              resolve();
            }
            wake = done;
          });
        }
      } catch (err) {
        options.log.error({ err, deploymentId: row.id }, 'deployment stream failed to read events');
        end();
      }
    },
    closeAll() {
      for (const end of [...closers]) end();
    },
    count: () => closers.size,
  };
}
