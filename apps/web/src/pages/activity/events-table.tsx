import type { AuditEvent } from '../../api/monitor.ts';
import { formatPayload, formatTimestamp } from '../../components/format.ts';

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

function EventRow({
  event,
  fresh,
  open,
  onToggle,
}: {
  event: AuditEvent;
  /** Arrived over the live stream since the table was loaded: highlighted. */
  fresh: boolean;
  open: boolean;
  onToggle(): void;
}) {
  return (
    <>
      <tr
        className={fresh ? 'fresh clickable' : 'clickable'}
        onClick={onToggle}
        data-testid="activity-row"
        data-event-id={String(event.id)}
        data-action={event.action_type}
      >
        <td data-label="ID" className="event-id" title={String(event.id)}>
          {shortId(event.id)}
        </td>
        <td data-label="Time">
          <time dateTime={event.timestamp}>{formatTimestamp(event.timestamp)}</time>
        </td>
        <td data-label="User" className="user-cell">
          {event.user_id}
        </td>
        <td data-label="Service">{event.service}</td>
        <td data-label="Action">{event.action_type}</td>
        <td data-label="Endpoint">
          <code>{event.endpoint}</code>
        </td>
        <td data-label="Result">{summarize(event.response_summary)}</td>
        <td data-label="Details">
          {/* The row opens by click; this button is the keyboard's way to the same detail. */}
          <button
            type="button"
            className="button small ghost"
            aria-expanded={open}
            onClick={(click) => {
              click.stopPropagation();
              onToggle();
            }}
            data-testid="activity-details"
          >
            {open ? 'Hide' : 'Details'}
          </button>
        </td>
      </tr>
      {open ? (
        <tr className="expansion">
          <td colSpan={8}>
            <EventDetail event={event} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export interface EventsTableProps {
  rows: readonly AuditEvent[];
  fresh: ReadonlySet<AuditEvent['id']>;
  opened: AuditEvent['id'] | undefined;
  onToggle(id: AuditEvent['id']): void;
}

/** A readable row per event (ID, time, who, what, result); a click opens everything it holds. */
export function EventsTable({ rows, fresh, opened, onToggle }: EventsTableProps) {
  return (
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
          {rows.map((row) => (
            <EventRow
              key={row.id}
              event={row}
              fresh={fresh.has(row.id)}
              open={opened === row.id}
              onToggle={() => onToggle(row.id)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
