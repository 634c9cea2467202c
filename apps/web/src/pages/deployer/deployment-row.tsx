import type { DeploymentRecord } from '../../api/deployer.ts';
import { formatTimestamp } from '../../components/format.ts';
import { toSafeHttpUrl } from '../../components/safe-url.ts';
import { Revisions } from './revisions.tsx';

export interface DeploymentRowProps {
  item: DeploymentRecord;
  /** The revisions are open under the row. */
  expanded: boolean;
  onToggleRevisions(): void;
  /** Delete was pressed once: the row asks to confirm. */
  confirmingDelete: boolean;
  onAskDelete(): void;
  onCancelDelete(): void;
  onDelete(): void;
  /** Changes when the list is read again; the open revisions follow. */
  version: number;
  onRollbackStarted(id: string | undefined): void;
}

/** One app: its newest deployment, its actions, and its revisions when opened. */
export function DeploymentRow({ item, expanded, confirmingDelete, ...actions }: DeploymentRowProps) {
  const url = toSafeHttpUrl(item.url);
  return (
    <>
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
              aria-expanded={expanded}
              onClick={actions.onToggleRevisions}
              data-testid="deployment-revisions"
            >
              Revisions
            </button>
            {confirmingDelete ? (
              <>
                <button
                  type="button"
                  className="button danger small"
                  onClick={actions.onDelete}
                  data-testid="deployment-delete-confirm"
                >
                  Delete {item.app_name}
                </button>
                <button type="button" className="button ghost small" onClick={actions.onCancelDelete}>
                  Cancel
                </button>
              </>
            ) : (
              <button
                type="button"
                className="button ghost small"
                onClick={actions.onAskDelete}
                data-testid="deployment-delete"
              >
                Delete
              </button>
            )}
          </div>
        </td>
      </tr>
      {expanded ? (
        <tr className="expansion">
          <td colSpan={8}>
            <Revisions app={item} version={actions.version} onStarted={actions.onRollbackStarted} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
