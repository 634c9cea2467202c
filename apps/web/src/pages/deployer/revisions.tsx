import { useEffect, useState } from 'react';
import { useApi } from '../../api-context.tsx';
import type { DeploymentRecord, RevisionRecord } from '../../api/deployer.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { formatTimestamp } from '../../components/format.ts';

function readDeploymentId(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const id = (answer as Record<string, unknown>).deployment_id;
  return typeof id === 'string' && id ? id : undefined;
}

/** An app's revisions, each with a rollback to it unless it runs now or never reached Stable. */
export function Revisions({
  app,
  version,
  onStarted,
}: {
  app: DeploymentRecord;
  /** Changes when the list refreshed (a rollback ended): the revisions are read again. */
  version: number;
  /** A rollback was accepted; with the deployment id when the deployer runs it as a deployment. */
  onStarted(id: string | undefined): void;
}) {
  const api = useApi();
  const [revisions, setRevisions] = useState<RevisionRecord[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    api.deployer
      .listRevisions(app.app_name, app.namespace)
      .then((items) => {
        if (!cancelled) setRevisions(items);
      })
      .catch((cause: unknown) => {
        if (!cancelled) setError(cause);
      });
    return () => {
      cancelled = true;
    };
  }, [api, app.app_name, app.namespace, version]);

  // The deployer says which revision runs; older deployers only said which record is newest.
  const isLive = (revision: RevisionRecord) => revision.live ?? revision.revision === app.revision;

  const rollback = async (revision: number) => {
    setBusy(true);
    setError(undefined);
    try {
      onStarted(readDeploymentId(await api.deployer.rollback(app.app_name, app.namespace, revision)));
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="revisions" data-testid="revisions">
      <ErrorNotice error={error} />
      {revisions === undefined && !error ? <p className="muted">Loading revisions…</p> : null}
      {revisions && revisions.length === 0 ? <p className="muted">No revisions recorded.</p> : null}
      {revisions && revisions.length > 0 ? (
        <table className="data-table compact">
          <caption className="visually-hidden">Revisions of {app.app_name}</caption>
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Image</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {revisions.map((revision) => (
              <tr
                key={revision.revision}
                data-testid="revision-row"
                data-revision={revision.revision}
                data-live={isLive(revision) ? 'true' : 'false'}
              >
                <td>{revision.revision}</td>
                <td>
                  <code>{revision.image}</code>
                </td>
                <td>{revision.state}</td>
                <td>{formatTimestamp(revision.created_at)}</td>
                <td>
                  {isLive(revision) ? (
                    <span className="badge ok">live</span>
                  ) : revision.rollback_possible === false ? (
                    <span className="muted small-text">never stable</span>
                  ) : (
                    <button
                      type="button"
                      className="button small"
                      disabled={busy}
                      onClick={() => void rollback(revision.revision)}
                      data-testid="revision-rollback"
                    >
                      Roll back to {revision.revision}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
