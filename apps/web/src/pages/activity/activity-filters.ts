import type { MonitorFilters } from '../../api/monitor.ts';

// Always offered, even before any of them has an event; the statistics add whatever else has happened.
export const KNOWN_SERVICES = ['gateway', 'assistant', 'deployer', 'history', 'monitor', 'user'];

/** Known names first, then the rest the statistics counted, without duplicates, sorted. */
export function mergeChoices(known: readonly string[], counted: readonly string[] | undefined): string[] {
  return [...new Set([...known, ...(counted ?? [])])].filter(Boolean).sort();
}

export const RANGES = [
  { id: 'any', label: 'Any time', minutes: 0 },
  { id: '15m', label: 'Last 15 minutes', minutes: 15 },
  { id: '1h', label: 'Last hour', minutes: 60 },
  { id: '24h', label: 'Last 24 hours', minutes: 24 * 60 },
  { id: '7d', label: 'Last 7 days', minutes: 7 * 24 * 60 },
  { id: 'custom', label: 'Custom…', minutes: 0 },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

/** The filter form as typed; `toFilters` turns it into the monitor's query when it is applied. */
export interface FilterForm {
  user_id: string;
  service: string;
  action_type: string;
  endpoint: string;
  q: string;
  range: RangeId;
  /** `datetime-local` values, in the viewer's time zone. */
  from: string;
  to: string;
}

export const EMPTY_FILTER_FORM: FilterForm = {
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

/**
 * The monitor's filters: empty fields left out, the user filter only for admins (the server enforces it
 * anyway), a relative range counted back from `now`.
 */
export function toFilters(form: FilterForm, admin: boolean, now = Date.now()): MonitorFilters {
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
    filters.from = new Date(now - range.minutes * 60_000).toISOString();
  }
  return filters;
}
