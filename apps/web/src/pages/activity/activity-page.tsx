import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import { isAdmin } from '../../api/auth.ts';
import type { StreamStatus } from '../../api/event-stream.ts';
import type { AuditEvent, MonitorFilters, MonitorStats } from '../../api/monitor.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { formatPayload, formatTimestamp } from '../../components/format.ts';

const PAGE_SIZE = 50;
const MAX_ROWS = 2000;
// Always offered, even before any of them has an event; the statistics add whatever else has happened.
const SERVICES = ['gateway', 'assistant', 'deployer', 'history', 'monitor', 'user'];

/** Known names first, then the rest the statistics counted, without duplicates, sorted. */
function mergeChoices(known: readonly string[], counted: readonly string[] | undefined): string[] {
  return [...new Set([...known, ...(counted ?? [])])].filter(Boolean).sort();
}

const RANGES = [
  { id: 'any', label: 'Any time', minutes: 0 },
  { id: '15m', label: 'Last 15 minutes', minutes: 15 },
  { id: '1h', label: 'Last hour', minutes: 60 },
  { id: '24h', label: 'Last 24 hours', minutes: 24 * 60 },
  { id: '7d', label: 'Last 7 days', minutes: 7 * 24 * 60 },
  { id: 'custom', label: 'Custom…', minutes: 0 },
] as const;
type RangeId = (typeof RANGES)[number]['id'];

interface FilterForm {
  user_id: string;
  service: string;
  action_type: string;
  endpoint: string;
  q: string;
  range: RangeId;
  from: string;
  to: string;
}

const EMPTY_FORM: FilterForm = {
  user_id: '',
  service: '',
  action_type: '',
  endpoint: '',
  q: '',
  range: 'any',
  from: '',
  to: '',
};

function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function toFilters(form: FilterForm, admin: boolean): MonitorFilters {
  const range = RANGES.find((item) => item.id === form.range);
  const filters: MonitorFilters = {
    user_id: admin ? form.user_id.trim() || undefined : undefined,
    service: form.service || undefined,
    action_type: form.action_type.trim() || undefined,
    endpoint: form.endpoint.trim() || undefined,
    q: form.q.trim() || undefined,
  };
  if (form.range === 'custom') {
    filters.from = localInputToIso(form.from);
    filters.to = localInputToIso(form.to);
  } else if (range && range.minutes > 0) {
    filters.from = new Date(Date.now() - range.minutes * 60_000).toISOString();
  }
  return filters;
}

const STATUS_TEXT: Record<StreamStatus | 'off', string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  off: 'Paused',
};

/** One short line for the table: the response status and what it says, if anything. */
function summarize(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  const record = value as Record<string, unknown>;
  const parts = ['status', 'state', 'outcome', 'reason', 'error']
    .filter((key) => record[key] !== undefined && record[key] !== null)
    .map(
      (key) =>
        `${key}: ${typeof record[key] === 'object' ? JSON.stringify(record[key]) : String(record[key])}`,
    );
  const text = parts.length > 0 ? parts.join(', ') : formatPayload(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function shortId(id: AuditEvent['id']): string {
  const text = String(id);
  return text.length > 8 ? text.slice(-8) : text;
}

/** Everything an event holds, for the row that was opened. */
function EventDetail({ event }: { event: AuditEvent }) {
  const fields: [string, string][] = [
    ['ID', String(event.id)],
    ['Time', event.timestamp],
    ['User', event.user_id],
    ['Service', event.service],
    ['Endpoint', event.endpoint],
    ['Action', event.action_type],
    ['IP address', event.ip_address ?? ''],
    ['User agent', event.user_agent ?? ''],
  ];
  return (
    <div className="event-detail" data-testid="activity-detail">
      <dl className="detail-grid">
        {fields.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value || '—'}</dd>
          </div>
        ))}
      </dl>
      <div className="detail-payloads">
        <div>
          <h3>Request data</h3>
          <pre className="code-block">{JSON.stringify(event.request_data ?? null, null, 2)}</pre>
        </div>
        <div>
          <h3>Response summary</h3>
          <pre className="code-block">{JSON.stringify(event.response_summary ?? null, null, 2)}</pre>
        </div>
      </div>
    </div>
  );
}

export function ActivityPage() {
  const api = useApi();
  const { user } = useSession();
  const admin = isAdmin(user);
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [applied, setApplied] = useState<MonitorFilters>({});
  const [rows, setRows] = useState<AuditEvent[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<AuditEvent['id']>>(new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [live, setLive] = useState(true);
  const [streamStatus, setStreamStatus] = useState<StreamStatus | 'off'>('off');
  const [stats, setStats] = useState<MonitorStats | undefined>(undefined);
  const [opened, setOpened] = useState<AuditEvent['id'] | undefined>(undefined);
  const serviceChoices = mergeChoices(
    SERVICES,
    stats?.by_service.map((item) => item.service),
  );
  const actionChoices = mergeChoices(
    [],
    stats?.by_action.map((item) => item.action_type),
  );

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    api.monitor
      .listEvents(applied, { limit: PAGE_SIZE })
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
      .getStats({ from: applied.from, to: applied.to })
      .then((answer) => {
        if (!controller.signal.aborted) setStats(answer);
      })
      .catch(() => {
        // Statistics are a nicety; the table is what matters.
        if (!controller.signal.aborted) setStats(undefined);
      });
    return () => controller.abort();
  }, [api, applied]);

  useEffect(() => {
    if (!live) {
      setStreamStatus('off');
      return;
    }
    const stream = api.monitor.stream(
      applied,
      (event) => {
        setRows((current) =>
          current.some((row) => row.id === event.id) ? current : [event, ...current].slice(0, MAX_ROWS),
        );
        setFresh((current) => new Set(current).add(event.id));
      },
      setStreamStatus,
    );
    return () => stream.close();
  }, [api, applied, live]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setApplied(toFilters(form, admin));
  };

  const reset = () => {
    setForm(EMPTY_FORM);
    setApplied({});
  };

  const loadMore = async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await api.monitor.listEvents(applied, { limit: PAGE_SIZE, cursor });
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

  const set = (key: keyof FilterForm) => (event: { target: { value: string } }) =>
    setForm((current) => ({ ...current, [key]: event.target.value }));

  return (
    <div className="page wide">
      <div className="page-head">
        <h1>User Activity</h1>
        <div className="live-controls">
          <span
            className={`connection connection-${streamStatus}`}
            role="status"
            aria-live="polite"
            data-testid="live-status"
          >
            <span className="dot" aria-hidden="true" /> {STATUS_TEXT[streamStatus]}
          </span>
          <button
            type="button"
            className="button small"
            aria-pressed={live}
            onClick={() => setLive((value) => !value)}
            data-testid="live-toggle"
          >
            Live {live ? 'on' : 'off'}
          </button>
        </div>
      </div>
      <p className="muted">
        {admin ? 'As an admin you see every user’s activity.' : 'You see your own activity.'}
      </p>

      <form
        className="card filters"
        role="search"
        aria-label="Filter activity"
        onSubmit={apply}
        data-testid="activity-filters"
      >
        {admin ? (
          <div className="field">
            <label htmlFor="f-user">User</label>
            <input
              id="f-user"
              value={form.user_id}
              onChange={set('user_id')}
              autoCapitalize="off"
              spellCheck={false}
              data-testid="filter-user"
            />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="f-service">Service</label>
          <select id="f-service" value={form.service} onChange={set('service')} data-testid="filter-service">
            <option value="">All services</option>
            {serviceChoices.map((service) => (
              <option key={service} value={service}>
                {service}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-action">Action</label>
          <select
            id="f-action"
            value={form.action_type}
            onChange={set('action_type')}
            data-testid="filter-action"
          >
            <option value="">All actions</option>
            {mergeChoices(form.action_type ? [form.action_type] : [], actionChoices).map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-endpoint">Endpoint</label>
          <input
            id="f-endpoint"
            value={form.endpoint}
            onChange={set('endpoint')}
            placeholder="/api/ask"
            autoCapitalize="off"
            spellCheck={false}
            data-testid="filter-endpoint"
          />
        </div>
        <div className="field">
          <label htmlFor="f-range">Time</label>
          <select id="f-range" value={form.range} onChange={set('range')} data-testid="filter-range">
            {RANGES.map((range) => (
              <option key={range.id} value={range.id}>
                {range.label}
              </option>
            ))}
          </select>
        </div>
        {form.range === 'custom' ? (
          <>
            <div className="field">
              <label htmlFor="f-from">From</label>
              <input
                id="f-from"
                type="datetime-local"
                value={form.from}
                onChange={set('from')}
                data-testid="filter-from"
              />
            </div>
            <div className="field">
              <label htmlFor="f-to">To</label>
              <input
                id="f-to"
                type="datetime-local"
                value={form.to}
                onChange={set('to')}
                data-testid="filter-to"
              />
            </div>
          </>
        ) : null}
        <div className="field grow">
          <label htmlFor="f-q">Text</label>
          <input
            id="f-q"
            type="search"
            value={form.q}
            onChange={set('q')}
            placeholder="Search request and response"
            data-testid="filter-text"
          />
        </div>
        <div className="button-row end">
          <button type="submit" className="button primary" data-testid="filter-apply">
            Apply
          </button>
          <button type="button" className="button ghost" onClick={reset}>
            Reset
          </button>
        </div>
      </form>

      {stats && stats.by_service.length > 0 ? (
        <p className="stats-line" data-testid="activity-stats">
          {stats.by_service.map((item) => (
            <span key={item.service} className="chip static">
              {item.service}: {item.count}
            </span>
          ))}
        </p>
      ) : null}

      <ErrorNotice error={error} testId="activity-error" />

      <div className="table-scroll" tabIndex={0} role="region" aria-label="Activity events">
        <table className="data-table activity-table responsive" data-testid="activity-table">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Time</th>
              <th scope="col">User</th>
              <th scope="col">Service</th>
              <th scope="col">Action</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Result</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const isOpen = opened === row.id;
              const toggle = () => setOpened(isOpen ? undefined : row.id);
              return (
                <Fragment key={row.id}>
                  <tr
                    className={[fresh.has(row.id) ? 'fresh' : '', 'clickable'].join(' ').trim()}
                    onClick={toggle}
                    data-testid="activity-row"
                    data-event-id={String(row.id)}
                    data-action={row.action_type}
                  >
                    <td data-label="ID" className="event-id" title={String(row.id)}>
                      {shortId(row.id)}
                    </td>
                    <td data-label="Time">
                      <time dateTime={row.timestamp}>{formatTimestamp(row.timestamp)}</time>
                    </td>
                    <td data-label="User" className="user-cell">
                      {row.user_id}
                    </td>
                    <td data-label="Service">{row.service}</td>
                    <td data-label="Action">{row.action_type}</td>
                    <td data-label="Endpoint">
                      <code>{row.endpoint}</code>
                    </td>
                    <td data-label="Result">{summarize(row.response_summary)}</td>
                    <td data-label="Details">
                      <button
                        type="button"
                        className="button small ghost"
                        aria-expanded={isOpen}
                        onClick={(event) => {
                          event.stopPropagation();
                          toggle();
                        }}
                        data-testid="activity-details"
                      >
                        {isOpen ? 'Hide' : 'Details'}
                      </button>
                    </td>
                  </tr>
                  {isOpen ? (
                    <tr className="expansion">
                      <td colSpan={8}>
                        <EventDetail event={row} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      {!loading && rows.length === 0 && !error ? <p className="muted center">No events match.</p> : null}
      <div className="center">
        {loading ? <p className="muted">Loading…</p> : null}
        {cursor && !loading ? (
          <button
            type="button"
            className="button"
            onClick={() => void loadMore()}
            data-testid="activity-load-more"
          >
            Load more
          </button>
        ) : null}
      </div>
    </div>
  );
}
