import type { CompoundDetails } from '../../api/assistant.ts';
import { OutputView } from '../../components/output-view.tsx';

/**
 * A compound request in full: the read and what it returned, then the exact change per target (or, after
 * Accept, what happened to each), so the one confirmation covers only what is on screen.
 */
export function CompoundPanel({ compound }: { compound: CompoundDetails }) {
  const rows =
    compound.outcomes ?? compound.targets.map((t) => ({ ...t, status: undefined, error: undefined }));
  return (
    <div className="compound" data-testid="compound">
      <h3>{compound.description}</h3>
      <p className="muted small-text">
        Read: <code>{compound.read.command}</code>
      </p>
      <OutputView json={compound.read.result.json} text={compound.read.result.text} testId="compound-read" />
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Changes per target">
        <table className="data-table" data-testid="compound-targets">
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Change</th>
              {compound.outcomes ? <th scope="col">Outcome</th> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td>{row.label}</td>
                <td>
                  <code>{row.command}</code>
                </td>
                {compound.outcomes ? (
                  <td>
                    {row.status}
                    {row.error ? `: ${row.error.message}` : ''}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {compound.appeared && compound.appeared.length > 0 ? (
        <p className="notice notice-info">
          Not changed (matched only after your confirmation): {compound.appeared.map((a) => a.id).join(', ')}
        </p>
      ) : null}
      <p className="muted small-text">Bound to the operations with SHA-256 {compound.digest.slice(0, 16)}…</p>
    </div>
  );
}
