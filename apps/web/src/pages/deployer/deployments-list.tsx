import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../../api-context.tsx';
import type { DeploymentRecord } from '../../api/deployer.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { DeployProgress } from './deploy-progress.tsx';
import { DeploymentRow } from './deployment-row.tsx';

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
                const rowKey = key(item);
                return (
                  <DeploymentRow
                    key={rowKey}
                    item={item}
                    expanded={expanded === rowKey}
                    onToggleRevisions={() =>
                      setExpanded((current) => (current === rowKey ? undefined : rowKey))
                    }
                    confirmingDelete={confirmDelete === rowKey}
                    onAskDelete={() => setConfirmDelete(rowKey)}
                    onCancelDelete={() => setConfirmDelete(undefined)}
                    onDelete={() => void remove(item)}
                    version={refresh + version}
                    onRollbackStarted={started}
                  />
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
