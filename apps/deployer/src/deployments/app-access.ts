import { isAdmin, NotAllowedError, NotFoundError, type Identity } from '@ashapp/platform';
import type { AppRow, DeploymentsRepository } from './deployments-repository.ts';

export function canSee(caller: Identity, row: { user_id: string }): boolean {
  return isAdmin(caller) || row.user_id === caller.userId;
}

/**
 * Only the app's owner (or an admin) may deploy over it. A deploy cannot help saying the name is taken;
 * it says nothing more (no owner, no revision).
 */
export function assertOwner(
  caller: Identity,
  app: AppRow | undefined,
  appName: string,
  namespace: string,
): void {
  if (app && app.deleted_at === null && app.user_id !== caller.userId && !isAdmin(caller)) {
    throw new NotAllowedError(`${appName} in ${namespace} is not yours; choose another app name`);
  }
}

/**
 * The caller's own live app (or any, for admins). Missing, deleted and another user's apps get the same
 * 404, so revisions, rollback and delete cannot be used to learn which names other users hold.
 */
export async function readOwnApp(
  repository: DeploymentsRepository,
  caller: Identity,
  namespace: string,
  appName: string,
): Promise<AppRow> {
  const app = await repository.getApp(namespace, appName);
  if (!app || app.deleted_at !== null || !canSee(caller, app))
    throw new NotFoundError(`no app ${appName} in ${namespace}`);
  return app;
}
