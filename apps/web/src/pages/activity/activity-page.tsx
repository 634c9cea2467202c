import { useState } from 'react';
import { useSession } from '../../api-context.tsx';
import { isAdmin } from '../../api/auth.ts';
import type { StreamStatus } from '../../api/event-stream.ts';
import type { AuditEvent, MonitorFilters, MonitorStats } from '../../api/monitor.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import {
  EMPTY_FILTER_FORM,
  KNOWN_SERVICES,
  mergeChoices,
  toFilters,
  type FilterForm,
} from './activity-filters.ts';
import { EventsTable } from './events-table.tsx';
import { ActivityFilterForm } from './filter-form.tsx';
import { useActivityEvents } from './use-activity-events.ts';

const STATUS_TEXT: Record<StreamStatus | 'off', string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  off: 'Paused',
};

function LiveControls({
  status,
  live,
  onToggle,
}: {
  status: StreamStatus | 'off';
  live: boolean;
  onToggle(): void;
}) {
  return (
    <div className="live-controls">
      <span
        className={`connection connection-${status}`}
        role="status"
        aria-live="polite"
        data-testid="live-status"
      >
        <span className="dot" aria-hidden="true" /> {STATUS_TEXT[status]}
      </span>
      <button
        type="button"
        className="button small"
        aria-pressed={live}
        onClick={onToggle}
        data-testid="live-toggle"
      >
        Live {live ? 'on' : 'off'}
      </button>
    </div>
  );
}

function StatsLine({ stats }: { stats: MonitorStats | undefined }) {
  if (!stats || stats.by_service.length === 0) return null;
  return (
    <p className="stats-line" data-testid="activity-stats">
      {stats.by_service.map((item) => (
        <span key={item.service} className="chip static">
          {item.service}: {item.count}
        </span>
      ))}
    </p>
  );
}

export function ActivityPage() {
  const { user } = useSession();
  const admin = isAdmin(user);
  const [form, setForm] = useState<FilterForm>(EMPTY_FILTER_FORM);
  const [applied, setApplied] = useState<MonitorFilters>({});
  const [live, setLive] = useState(true);
  const [opened, setOpened] = useState<AuditEvent['id'] | undefined>(undefined);
  const events = useActivityEvents(applied, live);
  const { rows, stats, loading, error } = events;

  const reset = () => {
    setForm(EMPTY_FILTER_FORM);
    setApplied({});
  };

  return (
    <div className="page wide">
      <div className="page-head">
        <h1>User Activity</h1>
        <LiveControls status={events.streamStatus} live={live} onToggle={() => setLive((value) => !value)} />
      </div>
      <p className="muted">
        {admin ? 'As an admin you see every user’s activity.' : 'You see your own activity.'}
      </p>

      <ActivityFilterForm
        form={form}
        onChange={(patch) => setForm((current) => ({ ...current, ...patch }))}
        admin={admin}
        serviceChoices={mergeChoices(
          KNOWN_SERVICES,
          stats?.by_service.map((item) => item.service),
        )}
        actionChoices={mergeChoices(
          [],
          stats?.by_action.map((item) => item.action_type),
        )}
        onApply={() => setApplied(toFilters(form, admin))}
        onReset={reset}
      />

      <StatsLine stats={stats} />
      <ErrorNotice error={error} testId="activity-error" />
      <EventsTable
        rows={rows}
        fresh={events.fresh}
        opened={opened}
        onToggle={(id) => setOpened((current) => (current === id ? undefined : id))}
      />
      {!loading && rows.length === 0 && !error ? <p className="muted center">No events match.</p> : null}
      <div className="center">
        {loading ? <p className="muted">Loading…</p> : null}
        {events.canLoadMore && !loading ? (
          <button
            type="button"
            className="button"
            onClick={() => void events.loadMore()}
            data-testid="activity-load-more"
          >
            Load more
          </button>
        ) : null}
      </div>
    </div>
  );
}
