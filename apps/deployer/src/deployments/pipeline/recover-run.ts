import type { DeploymentState } from '../deployment-states.ts';
import type { DeploymentRow } from '../deployments-repository.ts';
import { describeError, recordAudit } from './pipeline-audit.ts';
import { parseStrategy, type PipelineDeps } from './pipeline-types.ts';
import { rollBack } from './roll-back.ts';
import { openJournal } from './run-context.ts';

const beforeTargetStates: readonly string[] = ['Initialized', 'Validating', 'Preparing', 'Building'];

/** The revision to return to: the live one, or the Stable one before it when this record was made live. */
async function readRevisionToRestore(
  deps: PipelineDeps,
  row: DeploymentRow,
): Promise<{ live: number | null; restore: number | null; owner: string }> {
  const appRow = await deps.repository.getApp(row.namespace, row.app_name);
  const owner = appRow?.user_id ?? row.user_id;
  const live = appRow?.live_revision ?? null;
  if (live !== row.revision) return { live, restore: live, owner };
  const earlier = (await deps.repository.listRevisions(row.namespace, row.app_name)).find(
    (r) => r.revision < row.revision && r.state === 'Stable' && r.manifest,
  );
  return { live, restore: earlier?.revision ?? null, owner };
}

/**
 * Finishes a record whose replica stopped (its lease lapsed): Failed when it had not reached the target,
 * else rolled back to the revision that was live before it.
 */
export async function recoverRun(deps: PipelineDeps, row: DeploymentRow, signal: AbortSignal): Promise<void> {
  const events = await deps.repository.listEvents(row.id);
  const journal = openJournal(deps, row, events.at(-1)?.seq ?? 0);
  const state = row.state as DeploymentState;
  if (beforeTargetStates.includes(state)) {
    const reason = `the deployer replica running it stopped during ${state} (its lease lapsed) before anything was changed`;
    await journal.finish('Failed', { error: reason });
    await recordAudit(deps, row, undefined, 'Failed', reason);
    return;
  }
  const { live, restore, owner } = await readRevisionToRestore(deps, row);
  const reason = `the deployer replica running it stopped during ${state} (its lease lapsed) while changing the target`;
  if (state !== 'Rollback') await journal.move('Rollback', reason);
  await recordAudit(deps, row, undefined, 'Rollback', reason);
  try {
    await rollBack(deps, {
      owner,
      row,
      journal,
      previousLive: restore,
      strategy: parseStrategy(row.strategy),
      registry: undefined,
      follow: true,
      signal,
    });
    if (restore !== live) await deps.repository.setLiveRevision(row.namespace, row.app_name, restore);
    await journal.finish('RolledBack', { error: reason });
    await recordAudit(deps, row, undefined, 'RolledBack', reason);
  } catch (err) {
    await journal.finish('Failed', { error: `${reason}; the rollback failed: ${describeError(err)}` });
    await recordAudit(deps, row, undefined, 'Failed', describeError(err));
  } finally {
    await journal.flush();
  }
}
