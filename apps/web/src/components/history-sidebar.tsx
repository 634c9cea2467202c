import { useEffect, useState } from 'react';
import { useApi, useSession } from '../api-context.tsx';
import type { HistoryEntry } from '../api/history.ts';
import { describeError } from '../api/http.ts';
import { formatTimestamp } from './format.ts';

const REFRESH_MS = 5000;
const PAGE_SIZE = 30;

export interface HistorySidebarProps {
  id: string;
  open: boolean;
  selectedId: HistoryEntry['id'] | undefined;
  onSelect(entry: HistoryEntry): void;
  onClose(): void;
}

/** The burger's History list: newest first, refreshed every few seconds while open. */
export function HistorySidebar({ id, open, selectedId, onSelect, onClose }: HistorySidebarProps) {
  const api = useApi();
  const { historyVersion } = useSession();
  const [entries, setEntries] = useState<HistoryEntry[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    if (!open) return;
    let controller: AbortController | undefined;
    const load = () => {
      controller?.abort();
      controller = new AbortController();
      const signal = controller.signal;
      api.history
        .list({ limit: PAGE_SIZE })
        .then((page) => {
          if (signal.aborted) return;
          setEntries(page.items);
          setError(undefined);
        })
        .catch((cause: unknown) => {
          if (!signal.aborted) setError(describeError(cause));
        });
    };
    load();
    const timer = window.setInterval(load, REFRESH_MS);
    return () => {
      window.clearInterval(timer);
      controller?.abort();
    };
  }, [api, open, historyVersion]);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);

  return (
    <aside
      id={id}
      className="history-sidebar"
      hidden={!open}
      aria-label="History"
      data-testid="history-sidebar"
    >
      <div className="sidebar-head">
        <h2>History</h2>
        <button type="button" className="button ghost small" onClick={onClose} aria-label="Close history">
          ✕
        </button>
      </div>
      {error ? (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      ) : null}
      {entries === undefined && !error ? <p className="muted">Loading…</p> : null}
      {entries !== undefined && entries.length === 0 ? <p className="muted">Nothing asked yet.</p> : null}
      <ul className="history-list">
        {entries?.map((entry) => (
          <li key={entry.id}>
            <button
              type="button"
              className="history-entry"
              aria-current={selectedId === entry.id ? 'true' : undefined}
              onClick={() => onSelect(entry)}
              data-testid="history-entry"
            >
              <span className="history-time">{formatTimestamp(entry.created_at)}</span>
              <span className="history-query"> - {entry.query}</span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
