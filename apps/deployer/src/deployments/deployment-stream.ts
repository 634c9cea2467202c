import type { Logger } from '@ashapp/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeploymentEvent, DeploymentEventBus } from './deployment-events.ts';
import { stateProgress, type DeploymentState } from './deployment-states.ts';
import type { DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';

/**
 * Server-sent events for one deployment, in the shape the web app reads: `state` ({state, progress, at,
 * message?}), `log` ({line, stage, at}) and a final `done` ({state, url?, image?, manifest?, error?}),
 * after which the stream ends. The stored events are replayed first, then live ones follow; each carries
 * its sequence number as the SSE id, so a reconnect (Last-Event-ID) resumes where it left off.
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

export function createDeploymentStreams(options: {
  repository: DeploymentsRepository;
  bus: DeploymentEventBus;
  log: Logger;
  heartbeatMs: number;
  retryMs?: number;
}): DeploymentStreams {
  const closers = new Set<() => void>();

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
      let replaying = true;
      const pending: DeploymentEvent[] = [];

      const write = (chunk: string) => {
        if (!closed) raw.write(chunk);
      };
      const heartbeat = setInterval(() => write(': ping\n\n'), options.heartbeatMs);
      function close(): void {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        closers.delete(end);
      }
      function end(): void {
        close();
        raw.end();
      }
      function deliver(event: DeploymentEvent): void {
        if (event.type === 'done') {
          const { type: _type, deploymentId: _id, at: _at, ...data } = event;
          write(frame('done', data));
          end();
          return;
        }
        if (event.seq !== undefined) {
          if (event.seq <= lastSeq) return;
          lastSeq = event.seq;
        }
        if (event.type === 'state') {
          write(frame('state', { state: event.state, progress: event.progress, at: event.at, ...(event.message ? { message: event.message } : {}) }, event.seq));
        } else {
          write(frame('log', { line: event.line, stage: event.stage, at: event.at }, event.seq));
        }
      }

      // Subscribe before reading what is stored: the journal stores before it publishes, so nothing falls
      // between the two.
      const unsubscribe = options.bus.subscribe(row.id, (event) => {
        if (closed) return;
        if (replaying) pending.push(event);
        else deliver(event);
      });
      closers.add(end);
      raw.on('close', close);
      raw.on('error', (err) => {
        request.log.debug({ err: err.message }, 'deployment stream failed');
        close();
      });
      write(`retry: ${options.retryMs ?? 3000}\n: connected\n\n`);

      try {
        for (const event of await options.repository.listEvents(row.id)) {
          if (closed) return;
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          const at = new Date(event.at).toISOString();
          if (event.kind === 'state') {
            const state = event.stage as DeploymentState;
            write(frame('state', { state, progress: stateProgress[state] ?? 0, at, ...(event.text ? { message: event.text } : {}) }, event.seq));
          } else {
            write(frame('log', { line: event.text, stage: event.stage, at }, event.seq));
          }
        }
        replaying = false;
        for (const event of pending.splice(0)) {
          if (closed) return;
          deliver(event);
        }
        if (closed) return;
        // Finished before this viewer subscribed: its `done` was published already, so say it from the record.
        const current = await options.repository.getDeployment(row.id);
        if (current && current.finished_at !== null && !closed) {
          write(frame('done', doneFromRow(current)));
          end();
        }
      } catch (err) {
        options.log.error({ err, deploymentId: row.id }, 'deployment stream replay failed');
        end();
      }
    },
    closeAll() {
      for (const end of [...closers]) end();
    },
    count: () => closers.size,
  };
}
