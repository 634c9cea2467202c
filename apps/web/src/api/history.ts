import type { EntryView } from '@ashapp/contracts/history';
import { parseNextLink, toSameOriginPath, type HttpClient } from './http.ts';

/**
 * One entry of `GET /api/history` (the history service's contract). The page lists with outputs (the
 * service's default, `include_output=true`), so every entry carries one.
 */
export type HistoryEntry = EntryView & { output: string };

export interface HistoryPage {
  items: HistoryEntry[];
  /** Same-origin path of the next page from the `Link: <…>; rel="next"` header. */
  next: string | undefined;
}

export interface HistoryClient {
  list(input: { limit?: number; q?: string }): Promise<HistoryPage>;
  /** Follows a `next` path returned by `list` or a previous `next`. */
  listNext(next: string): Promise<HistoryPage>;
  remove(id: HistoryEntry['id']): Promise<void>;
}

export function createHistoryClient(http: HttpClient, origin: string): HistoryClient {
  async function fetchPage(
    path: string,
    query?: Record<string, string | number | undefined>,
  ): Promise<HistoryPage> {
    const response = await http.request<unknown>(path, { query });
    const items = Array.isArray(response.data) ? (response.data as HistoryEntry[]) : [];
    const link = parseNextLink(response.headers.get('link'));
    return { items, next: link ? toSameOriginPath(link, origin) : undefined };
  }
  return {
    list: ({ limit, q }) => fetchPage('/api/history', { limit, q }),
    listNext: (next) => fetchPage(next),
    async remove(id) {
      await http.request(`/api/history/${encodeURIComponent(String(id))}`, { method: 'DELETE' });
    },
  };
}
