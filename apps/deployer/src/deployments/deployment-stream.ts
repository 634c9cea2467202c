import type {
  DeploymentDoneEvent,
  DeploymentLogEvent,
  DeploymentStateEvent,
} from '@ashapp/contracts/deployer';
import { openEventStream, type EventStream, type Logger, type ServerSentEvent } from '@ashapp/platform';
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
 * other replicas. Each event carries its seq as the SSE id, so a reconnect (Last-Event-ID) resumes. The
 * reader waits for a slow viewer (the kit's `writable()`) before reading the next page, so a long build log
 * never piles up in memory.
 */
export interface DeploymentStreams {
  open(request: FastifyRequest, reply: FastifyReply, row: DeploymentRow): Promise<void>;
  /** Ends every open stream (shutdown), so draining does not wait for viewers. */
  closeAll(): void;
  count(): number;
}

function doneFromRow(row: DeploymentRow): DeploymentDoneEvent {
  return {
    state: row.state as DeploymentState,
    ...(row.url ? { url: row.url } : {}),
    ...(row.image ? { image: row.image } : {}),
    ...(row.manifest ? { manifest: row.manifest } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

function toServerSentEvent(event: DeploymentEventRow): ServerSentEvent {
  const at = new Date(event.at).toISOString();
  if (event.kind === 'state') {
    const state = event.stage as DeploymentState;
    const data: DeploymentStateEvent = {
      state,
      progress: stateProgress[state] ?? 0,
      at,
      ...(event.text ? { message: event.text } : {}),
    };
    return { event: 'state', id: event.seq, data };
  }
  const data: DeploymentLogEvent = { line: event.text, stage: event.stage, at };
  return { event: 'log', id: event.seq, data };
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
  const streams = new Set<EventStream>();
  const pollMs = options.pollMs ?? 500;

  return {
    async open(request, reply, row) {
      const lastEventId = Number(request.headers['last-event-id']);
      let lastSeq = Number.isInteger(lastEventId) ? lastEventId : -1;
      const stream = openEventStream(request, reply, {
        heartbeatMs: options.heartbeatMs,
        retryMs: options.retryMs ?? 3000,
      });
      let wake: (() => void) | undefined;
      // An event stored by this replica wakes the reader at once; other replicas' events are found by polling.
      const unsubscribe = options.bus.subscribe(row.id, () => wake?.());
      streams.add(stream);
      stream.onClose(() => {
        unsubscribe();
        streams.delete(stream);
        wake?.();
      });

      /** Sends every stored event after the cursor, waiting for the viewer whenever it falls behind. */
      async function drain(): Promise<void> {
        for (;;) {
          const events = await options.repository.listEventsAfter(row.id, lastSeq, pageSize);
          for (const event of events) {
            await stream.writable();
            if (stream.closed) return;
            lastSeq = event.seq;
            stream.send(toServerSentEvent(event));
          }
          if (events.length < pageSize) return;
        }
      }

      try {
        while (!stream.closed) {
          // Read the record before the events: the journal stores every event before it marks the record
          // finished, so once finished is seen here, the drain below has everything.
          const current = await options.repository.getDeployment(row.id);
          await drain();
          if (stream.closed) return;
          if (!current || current.finished_at !== null) {
            await stream.writable();
            stream.send({ event: 'done', data: doneFromRow(current ?? row) });
            stream.end();
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
        stream.end();
      }
    },
    closeAll() {
      for (const stream of [...streams]) stream.end();
    },
    count: () => streams.size,
  };
}
