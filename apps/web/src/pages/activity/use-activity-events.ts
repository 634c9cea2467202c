import { useEffect, useState } from 'react';
import { useApi } from '../../api-context.tsx';
import type { StreamStatus } from '../../api/event-stream.ts';
import type { AuditEvent, MonitorFilters, MonitorStats } from '../../api/monitor.ts';

const PAGE_SIZE = 50;
// The live feed prepends forever; the oldest rows go so a page left open stays light.
const MAX_ROWS = 2000;

export interface ActivityEvents {
  rows: AuditEvent[];
  /** Events the live stream added since the last load. */
  fresh: ReadonlySet<AuditEvent['id']>;
  /** Statistics for the same time range; undefined when the monitor cannot give them. */
  stats: MonitorStats | undefined;
  loading: boolean;
  error: unknown;
  streamStatus: StreamStatus | 'off';
  canLoadMore: boolean;
  loadMore(): Promise<void>;
}

/**
 * The events matching `filters`: the first page and its statistics on every change of filters, older pages
 * on demand, and, while `live`, new events from the stream on top (each once).
 */
export function useActivityEvents(filters: MonitorFilters, live: boolean): ActivityEvents {
  const api = useApi();
  const [rows, setRows] = useState<AuditEvent[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<AuditEvent['id']>>(new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [streamStatus, setStreamStatus] = useState<StreamStatus | 'off'>('off');
  const [stats, setStats] = useState<MonitorStats | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    api.monitor
      .listEvents(filters, { limit: PAGE_SIZE })
      .then((page) => {
        if (controller.signal.aborted) return;
        setRows(page.items);
        setFresh(new Set());
        setCursor(page.next_cursor);
      })
      .catch((cause: unknown) => {
        if (!controller.signal.aborted) setError(cause);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    api.monitor
      .getStats({ from: filters.from, to: filters.to })
      .then((answer) => {
        if (!controller.signal.aborted) setStats(answer);
      })
      .catch(() => {
        // Statistics are a nicety; the table is what matters.
        if (!controller.signal.aborted) setStats(undefined);
      });
    return () => controller.abort();
  }, [api, filters]);

  useEffect(() => {
    if (!live) {
      setStreamStatus('off');
      return;
    }
    const stream = api.monitor.stream(
      filters,
      (event) => {
        setRows((current) =>
          current.some((row) => row.id === event.id) ? current : [event, ...current].slice(0, MAX_ROWS),
        );
        setFresh((current) => new Set(current).add(event.id));
      },
      setStreamStatus,
    );
    return () => stream.close();
  }, [api, filters, live]);

  const loadMore = async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await api.monitor.listEvents(filters, { limit: PAGE_SIZE, cursor });
      setRows((current) => {
        const seen = new Set(current.map((row) => row.id));
        return [...current, ...page.items.filter((row) => !seen.has(row.id))];
      });
      setCursor(page.next_cursor);
    } catch (cause) {
      setError(cause);
    } finally {
      setLoading(false);
    }
  };

  return { rows, fresh, stats, loading, error, streamStatus, canLoadMore: Boolean(cursor), loadMore };
}
