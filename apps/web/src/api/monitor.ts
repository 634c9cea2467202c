import type { EventPage, EventView, StatsQuery, StatsView, StreamQuery } from '@ashapp/contracts/monitor';
import { buildPath, type HttpClient } from './http.ts';
import { openEventStream, type EventStream, type StreamStatus } from './event-stream.ts';

// The shapes are the monitor's contract; only the names are the page's.
export type AuditEvent = EventView;
/** Filters of the list and the live feed (`from`/`to` are ISO 8601). */
export type MonitorFilters = StreamQuery;
export type EventsPage = EventPage;
export type MonitorStats = StatsView;

export interface MonitorClient {
  listEvents(filters: MonitorFilters, page: { limit?: number; cursor?: string }): Promise<EventsPage>;
  getStats(range: Partial<StatsQuery>): Promise<MonitorStats>;
  stream(
    filters: MonitorFilters,
    onEvent: (event: AuditEvent) => void,
    onStatus: (status: StreamStatus) => void,
  ): EventStream;
}

function toQuery(filters: MonitorFilters): Record<string, string | undefined> {
  return { ...filters };
}

export function createMonitorClient(http: HttpClient): MonitorClient {
  return {
    async listEvents(filters, page) {
      const data = await http.json<Partial<EventsPage>>('/api/monitor/events', {
        query: { ...toQuery(filters), limit: page.limit, cursor: page.cursor },
      });
      return { items: Array.isArray(data.items) ? data.items : [], next_cursor: data.next_cursor ?? null };
    },
    getStats: (range) => http.json<MonitorStats>('/api/monitor/stats', { query: range }),
    stream(filters, onEvent, onStatus) {
      return openEventStream(buildPath('/api/monitor/stream', toQuery(filters)), {
        handlers: {
          audit: (data) => {
            if (typeof data === 'object' && data !== null) onEvent(data as AuditEvent);
          },
        },
        onStatus,
      });
    },
  };
}
