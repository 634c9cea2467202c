import { decodeCursor, encodeCursor, isAdmin, NotFoundError, type Identity } from '@ashapp/platform';
import { validateAppName } from '../validation/inputs.ts';
import { canSee } from './app-access.ts';
import { appKey, describeSource, iso, toView } from './deployment-requests.ts';
import type { AppRow, DeploymentRow } from './deployments-repository.ts';
import type { DeploymentsService } from './deployments-service.ts';
import type { DeploymentDetail, DeploymentView, ListDeploymentsQuery } from '@ashapp/contracts/deployer';
import type { ServiceContext } from './service-context.ts';

export type RevisionsView = Awaited<ReturnType<DeploymentsService['revisions']>>;

/** A page of the caller's deployments (everyone's for admins); the page's apps are read in one query. */
export async function listDeployments(
  ctx: ServiceContext,
  caller: Identity,
  query: ListDeploymentsQuery,
): Promise<{ items: DeploymentView[]; next_cursor: string | null }> {
  const { repository } = ctx;
  const rows = await repository.listDeployments({
    ...(isAdmin(caller) ? {} : { userId: caller.userId }),
    limit: query.limit + 1,
    ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
  });
  const page = rows.slice(0, query.limit);
  const keys = new Map(page.map((row) => [appKey(row.namespace, row.app_name), row]));
  const found = await repository.listApps(
    [...keys.values()].map((row) => ({ namespace: row.namespace, appName: row.app_name })),
  );
  const byKey = new Map(found.map((app) => [appKey(app.namespace, app.app_name), app]));
  const apps = new Map<string, AppRow | undefined>([...keys.keys()].map((key) => [key, byKey.get(key)]));
  const statuses = await ctx.observer.observeAll(apps);
  const last = page.at(-1);
  return {
    items: page.map((row) => {
      const key = appKey(row.namespace, row.app_name);
      return toView(row, apps.get(key), statuses.get(key));
    }),
    next_cursor:
      rows.length > query.limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
  };
}

/** The record, if the caller may see it (for the detail view and the event stream). */
export async function readVisibleDeployment(
  ctx: ServiceContext,
  caller: Identity,
  id: string,
): Promise<DeploymentRow> {
  const { repository } = ctx;
  const row = await repository.getDeployment(id);
  if (!row || !canSee(caller, row)) throw new NotFoundError('deployment not found');
  return row;
}

export async function readDeploymentDetail(
  ctx: ServiceContext,
  caller: Identity,
  id: string,
): Promise<DeploymentDetail> {
  const { repository } = ctx;
  const row = await readVisibleDeployment(ctx, caller, id);
  const [app, events] = await Promise.all([
    repository.getApp(row.namespace, row.app_name),
    repository.listEvents(id),
  ]);
  return {
    ...toView(row, app, await ctx.observer.observe(app)),
    manifest: row.manifest,
    source: describeSource(row.request),
    events: events.map((e) => ({
      seq: e.seq,
      at: iso(e.at),
      kind: e.kind,
      stage: e.stage,
      text: e.text,
    })),
  };
}

/** An app's revisions, which one is live, and whether the target still runs it. */
export async function listRevisions(
  ctx: ServiceContext,
  caller: Identity,
  appNameInput: string,
  namespaceInput: string | undefined,
): Promise<RevisionsView> {
  const { options, repository } = ctx;
  const appName = validateAppName(appNameInput, 'app');
  const namespace = options.namespaces.resolve(caller, namespaceInput);
  const app = await repository.getApp(namespace, appName);
  // Missing and foreign answer alike (no existence oracle); a deleted app's history stays readable.
  if (!app || !canSee(caller, app)) throw new NotFoundError(`no app ${appName} in ${namespace}`);
  const rows = await repository.listRevisions(namespace, appName);
  const observed = await ctx.observer.observe(app);
  const gone = observed === 'missing' || observed === 'foreign';
  const live = app.deleted_at === null && !gone ? app.live_revision : null;
  return {
    app_name: appName,
    namespace,
    live_revision: live,
    target_status: app.deleted_at === null && app.live_revision !== null ? (observed ?? 'unknown') : null,
    items: rows.map((r) => ({
      id: r.id,
      revision: r.revision,
      kind: r.kind,
      source_revision: r.source_revision,
      image: r.image ?? '',
      state: r.state,
      url: r.url,
      live: live === r.revision,
      rollback_possible: r.state === 'Stable' && r.manifest !== null,
      created_at: iso(r.created_at),
    })),
  };
}
