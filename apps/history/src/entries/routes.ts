import { readRequestMeta, requireIdentity, type ServiceApp } from '@ashapp/platform';
import { Type } from 'typebox';
import type { HistoryService } from './entries-service.ts';
import { EntryParams, EntryView, ListEntriesQuery, SaveEntryBody, SavedEntry } from '@ashapp/contracts/history';

function buildNextLink(path: string, query: ListEntriesQuery, cursor: string): string {
  const params = new URLSearchParams({ limit: String(query.limit), cursor });
  if (query.q) params.set('q', query.q);
  if (query.user_id) params.set('user_id', query.user_id);
  if (!query.include_output) params.set('include_output', 'false');
  return `<${path}?${params.toString()}>; rel="next"`;
}

export function registerEntryRoutes(app: ServiceApp, service: HistoryService): void {
  app.post(
    '/history/save',
    {
      schema: {
        summary: 'Save a query and its output for the caller',
        body: SaveEntryBody,
        response: { 201: SavedEntry },
      },
    },
    async (request, reply) => {
      const saved = await service.save(requireIdentity(request), request.body, readRequestMeta(request));
      return reply.status(201).send(saved);
    },
  );

  app.get(
    '/history/list',
    {
      schema: {
        summary: "The caller's history, newest first; the next page is in the Link header",
        querystring: ListEntriesQuery,
        response: { 200: Type.Array(EntryView) },
      },
    },
    async (request, reply) => {
      const { items, nextCursor } = await service.list(requireIdentity(request), request.query);
      if (nextCursor) reply.header('link', buildNextLink('/history/list', request.query, nextCursor));
      return items;
    },
  );

  app.delete(
    '/history/:id',
    {
      schema: {
        summary: "Delete one of the caller's own entries",
        params: EntryParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await service.remove(requireIdentity(request), request.params.id, readRequestMeta(request));
      return reply.status(204).send(null);
    },
  );
}
