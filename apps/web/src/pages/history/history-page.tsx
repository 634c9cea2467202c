import { useEffect, useState, type FormEvent } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import type { HistoryEntry } from '../../api/history.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { formatTimestamp } from '../../components/format.ts';
import { OutputView } from '../../components/output-view.tsx';

const PAGE_SIZE = 25;

export function HistoryPage() {
  const api = useApi();
  const { historyVersion, notifyHistoryChanged } = useSession();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [selected, setSelected] = useState<HistoryEntry | undefined>(undefined);
  const [confirmingId, setConfirmingId] = useState<HistoryEntry['id'] | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(undefined);
    api.history
      .list({ limit: PAGE_SIZE, q: query || undefined })
      .then((page) => {
        if (cancelled) return;
        setEntries(page.items);
        setNext(page.next);
      })
      .catch((cause: unknown) => {
        if (!cancelled) setError(cause);
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [api, query, historyVersion]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQuery(search.trim());
  };

  const loadMore = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const page = await api.history.listNext(next);
      setEntries((current) => {
        const seen = new Set(current.map((entry) => entry.id));
        return [...current, ...page.items.filter((entry) => !seen.has(entry.id))];
      });
      setNext(page.next);
    } catch (cause) {
      setError(cause);
    } finally {
      setLoading(false);
    }
  };

  const remove = async (entry: HistoryEntry) => {
    setError(undefined);
    try {
      await api.history.remove(entry.id);
      setEntries((current) => current.filter((item) => item.id !== entry.id));
      if (selected?.id === entry.id) setSelected(undefined);
      setMessage(`Deleted “${entry.query}”.`);
      notifyHistoryChanged();
    } catch (cause) {
      setError(cause);
    } finally {
      setConfirmingId(undefined);
    }
  };

  return (
    <div className="page">
      <h1>History</h1>
      <form className="search-row" role="search" aria-label="Search history" onSubmit={submit}>
        <label htmlFor="history-search" className="visually-hidden">
          Search queries and outputs
        </label>
        <input
          id="history-search"
          type="search"
          placeholder="Search queries and outputs"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          data-testid="history-search"
        />
        <button type="submit" className="button primary" data-testid="history-search-submit">
          Search
        </button>
      </form>
      <div aria-live="polite">{message ? <p className="notice notice-info">{message}</p> : null}</div>
      <ErrorNotice error={error} testId="history-error" />

      {selected ? (
        <section className="card" aria-labelledby="history-view-title" data-testid="history-view">
          <div className="card-head">
            <h2 id="history-view-title">
              {selected.query}{' '}
              <span className="muted small-text">{formatTimestamp(selected.created_at)}</span>
            </h2>
            <button type="button" className="button ghost small" onClick={() => setSelected(undefined)}>
              Close
            </button>
          </div>
          <OutputView text={selected.output} testId="history-view-output" />
        </section>
      ) : null}

      <ul className="history-table" aria-label="History entries" data-testid="history-page-list">
        {entries.map((entry) => (
          <li key={entry.id} className="history-row" data-testid="history-row">
            <button
              type="button"
              className="history-open"
              onClick={() => setSelected(entry)}
              aria-current={selected?.id === entry.id ? 'true' : undefined}
            >
              <span className="history-time">{formatTimestamp(entry.created_at)}</span>
              <span className="history-query">{entry.query}</span>
              <span className="history-preview muted">{entry.output.slice(0, 140)}</span>
            </button>
            <div className="row-actions">
              {confirmingId === entry.id ? (
                <>
                  <span className="small-text">Delete this entry?</span>
                  <button
                    type="button"
                    className="button danger small"
                    onClick={() => void remove(entry)}
                    data-testid="history-delete-confirm"
                  >
                    Delete
                  </button>
                  <button
                    type="button"
                    className="button ghost small"
                    onClick={() => setConfirmingId(undefined)}
                  >
                    Cancel
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  className="button ghost small"
                  onClick={() => setConfirmingId(entry.id)}
                  aria-label={`Delete ${entry.query}`}
                  data-testid="history-delete"
                >
                  Delete
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {!loading && entries.length === 0 && !error ? (
        <p className="muted center">{query ? 'Nothing matches.' : 'Nothing asked yet.'}</p>
      ) : null}
      <div className="center">
        {loading ? <p className="muted">Loading…</p> : null}
        {next && !loading ? (
          <button
            type="button"
            className="button"
            onClick={() => void loadMore()}
            data-testid="history-load-more"
          >
            Load more
          </button>
        ) : null}
      </div>
    </div>
  );
}
