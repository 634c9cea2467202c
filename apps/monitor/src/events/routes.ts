import { readRequestMeta, requireIdentity, type ServiceApp } from '@ashapp/platform';
import { Type } from 'typebox';
import type { EventsService } from './events-service.ts';
import type { LiveFeed } from './live-feed.ts';
import {
  BatchBody,
  BatchResult,
  EventPage,
  ListEventsQuery,
  LogEventBody,
  LogResult,
  StatsQuery,
  StatsView,
  StreamQuery,
} from '@ashapp/contracts/monitor';

export function registerEventRoutes(app: ServiceApp, deps: { service: EventsService; feed: LiveFeed }): void {
  const { service, feed } = deps;

  app.post(
    '/monitor/log',
    {
      schema: {
        summary: 'Record one audit event (the original endpoint)',
        description:
          'Services report on behalf of users with their fields as given; a user always logs as themselves, ' +
          'with address and user agent taken from the request when absent. Secrets are masked before storage.',
        body: LogEventBody,
        response: { 200: LogResult, 201: LogResult },
      },
    },
    async (request, reply) => {
      const result = await service.log(requireIdentity(request), request.body, readRequestMeta(request));
      return reply.status(result.stored ? 201 : 200).send(result);
    },
  );

  app.post(
    '/monitor/events/batch',
    {
      schema: {
        summary: 'Record up to 1,000 events from a service audit outbox; ids seen before are skipped',
        body: BatchBody,
        response: { 200: BatchResult },
      },
    },
    async (request) => service.ingestBatch(requireIdentity(request), request.body.events),
  );

  app.get(
    '/monitor/events',
    {
      schema: {
        summary: 'Audit events, newest first; users see their own, admins everyone’s',
        querystring: ListEventsQuery,
        response: { 200: EventPage },
      },
    },
    async (request) => service.list(requireIdentity(request), request.query),
  );

  app.get(
    '/monitor/events/stream',
    {
      schema: {
        summary: 'Live feed of new events (server-sent events) with the same filters and visibility',
        description:
          'Each event arrives as `event: audit` with its id and JSON data; comment lines keep the connection ' +
          'alive; `event: lagged` says how many events a client that reads too slowly missed.',
        querystring: StreamQuery,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const filter = service.resolveStreamFilter(requireIdentity(request), request.query);
      feed.open(request, reply, filter);
      return reply;
    },
  );

  app.get(
    '/monitor/stats',
    {
      schema: {
        summary: 'Counts per service, per action type and per time bucket for a range (default: 24 hours)',
        querystring: StatsQuery,
        response: { 200: StatsView },
      },
    },
    async (request) => service.stats(requireIdentity(request), request.query),
  );

  app.addHook('preClose', async () => feed.closeAll());
}
