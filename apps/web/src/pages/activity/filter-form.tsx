import type { FormEvent } from 'react';
import { Field, Input, Select } from '../../components/field.tsx';
import { mergeChoices, RANGES, type FilterForm, type RangeId } from './activity-filters.ts';

export interface FilterFormProps {
  form: FilterForm;
  onChange(patch: Partial<FilterForm>): void;
  /** Admins may filter by user; everyone else sees only their own events anyway. */
  admin: boolean;
  serviceChoices: readonly string[];
  actionChoices: readonly string[];
  onApply(): void;
  onReset(): void;
}

/** The Activity search form: user (admins), service, action, endpoint, time range and text. */
export function ActivityFilterForm({
  form,
  onChange,
  admin,
  serviceChoices,
  actionChoices,
  onApply,
  onReset,
}: FilterFormProps) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply();
  };
  // The chosen action stays offered when the statistics of a new time range no longer count it.
  const actions = mergeChoices(form.action_type ? [form.action_type] : [], actionChoices);
  return (
    <form
      className="card filters"
      role="search"
      aria-label="Filter activity"
      onSubmit={submit}
      data-testid="activity-filters"
    >
      {admin ? (
        <Field id="f-user" label="User">
          <Input
            value={form.user_id}
            onValue={(user_id) => onChange({ user_id })}
            verbatim
            testId="filter-user"
          />
        </Field>
      ) : null}
      <Field id="f-service" label="Service">
        <Select value={form.service} onValue={(service) => onChange({ service })} testId="filter-service">
          <option value="">All services</option>
          {serviceChoices.map((service) => (
            <option key={service} value={service}>
              {service}
            </option>
          ))}
        </Select>
      </Field>
      <Field id="f-action" label="Action">
        <Select
          value={form.action_type}
          onValue={(action_type) => onChange({ action_type })}
          testId="filter-action"
        >
          <option value="">All actions</option>
          {actions.map((action) => (
            <option key={action} value={action}>
              {action}
            </option>
          ))}
        </Select>
      </Field>
      <Field id="f-endpoint" label="Endpoint">
        <Input
          value={form.endpoint}
          onValue={(endpoint) => onChange({ endpoint })}
          placeholder="/api/ask"
          verbatim
          testId="filter-endpoint"
        />
      </Field>
      <Field id="f-range" label="Time">
        <Select<RangeId> value={form.range} onValue={(range) => onChange({ range })} testId="filter-range">
          {RANGES.map((range) => (
            <option key={range.id} value={range.id}>
              {range.label}
            </option>
          ))}
        </Select>
      </Field>
      {form.range === 'custom' ? (
        <>
          <Field id="f-from" label="From">
            <Input
              type="datetime-local"
              value={form.from}
              onValue={(from) => onChange({ from })}
              testId="filter-from"
            />
          </Field>
          <Field id="f-to" label="To">
            <Input
              type="datetime-local"
              value={form.to}
              onValue={(to) => onChange({ to })}
              testId="filter-to"
            />
          </Field>
        </>
      ) : null}
      <Field id="f-q" label="Text" className="grow">
        <Input
          type="search"
          value={form.q}
          onValue={(q) => onChange({ q })}
          placeholder="Search request and response"
          testId="filter-text"
        />
      </Field>
      <div className="button-row end">
        <button type="submit" className="button primary" data-testid="filter-apply">
          Apply
        </button>
        <button type="button" className="button ghost" onClick={onReset}>
          Reset
        </button>
      </div>
    </form>
  );
}
