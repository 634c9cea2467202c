import { buildPath, type HttpClient } from './http.ts';
import { openEventStream, type EventStream, type StreamStatus } from './event-stream.ts';

export interface AuditEvent {
  id: string | number;
  timestamp: string;
  user_id: string;
  service: string;
  endpoint: string;
  action_type: string;
  request_data: unknown;
  response_summary: unknown;
  ip_address: string;
  user_agent: string;
}

export interface MonitorFilters {
  user_id?: string;
  service?: string;
  action_type?: string;
  endpoint?: string;
  /** ISO 8601 */
  from?: string;
  /** ISO 8601 */
  to?: string;
  q?: string;
}

export interface EventsPage {
  items: AuditEvent[];
  next_cursor: string | null;
}

export interface MonitorStats {
  by_service: { service: string; count: number }[];
  by_action: { action_type: string; count: number }[];
  by_time: { bucket_start: string; count: number }[];
}

export interface MonitorClient {
  listEvents(filters: MonitorFilters, page: { limit?: number; cursor?: string }): Promise<EventsPage>;
  getStats(range: { from?: string; to?: string; bucket?: string }): Promise<MonitorStats>;
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
