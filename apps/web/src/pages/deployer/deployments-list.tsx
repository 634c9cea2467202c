import { Fragment, useCallback, useEffect, useState } from 'react';
import { useApi } from '../../api-context.tsx';
import type { DeploymentRecord, RevisionRecord } from '../../api/deployer.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { formatTimestamp } from '../../components/format.ts';
import { toSafeHttpUrl } from '../../components/safe-url.ts';
import { DeployProgress } from './deploy-progress.tsx';

function readDeploymentId(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const id = (answer as Record<string, unknown>).deployment_id;
  return typeof id === 'string' && id ? id : undefined;
}

function Revisions({
  app,
  version,
  onStarted,
}: {
  app: DeploymentRecord;
  /** Changes when the list refreshed (a rollback ended): the revisions are read again. */
  version: number;
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

export interface DeploymentsListProps {
  version: number;
  /** A rollback ended (the history has a new entry). */
  onFinished(): void;
}

export function DeploymentsList({ version, onFinished }: DeploymentsListProps) {
  const api = useApi();
  const [items, setItems] = useState<DeploymentRecord[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [refresh, setRefresh] = useState(0);
  const [expanded, setExpanded] = useState<string | undefined>(undefined);
  const [confirmDelete, setConfirmDelete] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  // The rollback being followed: its live stages show here, next to the app it rolls back.
  const [following, setFollowing] = useState<string | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    api.deployer
      .listDeployments()
      .then((list) => {
        if (cancelled) return;
        setItems(list);
        setError(undefined);
      })
      .catch((cause: unknown) => {
        if (!cancelled) setError(cause);
      });
    return () => {
      cancelled = true;
    };
  }, [api, version, refresh]);

  const key = (item: DeploymentRecord) => `${item.namespace}/${item.app_name}`;

  const remove = async (item: DeploymentRecord) => {
    setError(undefined);
    try {
      await api.deployer.deleteApp(item.app_name, item.namespace);
      setMessage(`Deleted ${item.app_name} from ${item.namespace}.`);
      setRefresh((value) => value + 1);
    } catch (cause) {
      setError(cause);
    } finally {
      setConfirmDelete(undefined);
    }
  };

  const started = (id: string | undefined) => {
    setMessage(id ? 'Rollback started: its stages follow below.' : 'Rollback requested.');
    setFollowing(id);
    setRefresh((value) => value + 1);
  };

  const rollbackFinished = useCallback(() => {
    setRefresh((value) => value + 1);
    onFinished();
  }, [onFinished]);

  // One row per app: the newest deployment stands for it.
  const apps = new Map<string, DeploymentRecord>();
  for (const item of items ?? []) {
    const existing = apps.get(key(item));
    if (!existing || existing.updated_at < item.updated_at) apps.set(key(item), item);
  }

  return (
    <section className="card" aria-labelledby="deployments-title" data-testid="deployments-list">
      <div className="card-head">
        <h2 id="deployments-title">Deployments</h2>
        <button
          type="button"
          className="button ghost small"
          onClick={() => setRefresh((value) => value + 1)}
          data-testid="deployments-refresh"
        >
          Refresh
        </button>
      </div>
      <div aria-live="polite">{message ? <p className="notice notice-info">{message}</p> : null}</div>
      {following ? (
        <DeployProgress key={following} deploymentId={following} onFinished={rollbackFinished} />
      ) : null}
      <ErrorNotice error={error} testId="deployments-error" />
      {items === undefined && !error ? <p className="muted">Loading…</p> : null}
      {items && items.length === 0 ? <p className="muted">No deployments yet.</p> : null}
      {apps.size > 0 ? (
        <div className="table-scroll">
          <table className="data-table responsive deployments-table">
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Namespace</th>
                <th scope="col">State</th>
                <th scope="col">Revision</th>
                <th scope="col">Image</th>
                <th scope="col">URL</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...apps.values()].map((item) => {
                const url = toSafeHttpUrl(item.url);
                const rowKey = key(item);
                return (
                  <Fragment key={rowKey}>
                    <tr data-testid="deployment-row" data-app={item.app_name}>
                      <td data-label="App">{item.app_name}</td>
                      <td data-label="Namespace">{item.namespace}</td>
                      <td data-label="State">
                        <span className={`badge state-${item.state.toLowerCase()}`}>{item.state}</span>
                      </td>
                      <td data-label="Revision">{item.revision}</td>
                      <td data-label="Image">
                        <code>{item.image}</code>
                      </td>
                      <td data-label="URL">
                        {url ? (
                          <a href={url} target="_blank" rel="noopener noreferrer">
                            {url}
                          </a>
                        ) : (
                          (item.url ?? '')
                        )}
                      </td>
                      <td data-label="Updated">{formatTimestamp(item.updated_at)}</td>
                      <td data-label="Actions">
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button small"
                            aria-expanded={expanded === rowKey}
                            onClick={() =>
                              setExpanded((current) => (current === rowKey ? undefined : rowKey))
                            }
                            data-testid="deployment-revisions"
                          >
                            Revisions
                          </button>
                          {confirmDelete === rowKey ? (
                            <>
                              <button
                                type="button"
                                className="button danger small"
                                onClick={() => void remove(item)}
                                data-testid="deployment-delete-confirm"
                              >
                                Delete {item.app_name}
                              </button>
                              <button
                                type="button"
                                className="button ghost small"
                                onClick={() => setConfirmDelete(undefined)}
                              >
                                Cancel
                              </button>
                            </>
                          ) : (
                            <button
                              type="button"
                              className="button ghost small"
                              onClick={() => setConfirmDelete(rowKey)}
                              data-testid="deployment-delete"
                            >
                              Delete
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                    {expanded === rowKey ? (
                      <tr className="expansion">
                        <td colSpan={8}>
                          <Revisions app={item} version={refresh + version} onStarted={started} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
