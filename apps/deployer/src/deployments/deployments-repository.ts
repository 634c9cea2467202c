import { ConflictError, largeTextType, type Database, type Dialect, type Migration } from '@ashapp/platform';
import { sql, type Kysely } from 'kysely';
import type { DeploymentState } from './deployment-states.ts';
import {
  createRegistryLoginsMigration,
  type RegistryLoginTables,
} from '../registry-logins/registry-logins-repository.ts';

export interface DeployerTables extends RegistryLoginTables {
  apps: {
    namespace: string;
    app_name: string;
    user_id: string;
    created_at: number;
    /** Revision now serving, or null when none is (first deploy failed, or deleted). */
    live_revision: number | null;
    deleted_at: number | null;
  };
  deployments: {
    id: string;
    user_id: string;
    namespace: string;
    app_name: string;
    revision: number;
    /** `deploy`, `redeploy`, `rollback`. */
    kind: string;
    /** For a rollback, the revision whose image and manifest it re-applies. */
    source_revision: number | null;
    state: DeploymentState;
    progress: number;
    target: string;
    strategy: string;
    /** JSON of the request: settings and source (pasted code, or repository URL and ref). */
    request: string;
    image: string | null;
    url: string | null;
    manifest: string | null;
    error: string | null;
    created_at: number;
    updated_at: number;
    finished_at: number | null;
    /** The replica running the deployment (null for records made before leases existed). */
    lease_owner: string | null;
    /** Until when that replica holds it; it renews while it runs, another replica claims it after. */
    lease_expires_at: number | null;
  };
  deployment_events: {
    deployment_id: string;
    seq: number;
    at: number;
    /** `state` or `log`. */
    kind: string;
    stage: string;
    text: string;
  };
}

export function createDeployerMigrations(dialect: Dialect): Readonly<Record<string, Migration>> {
  const large = sql.raw(largeTextType(dialect));
  return {
    '0001_create_deployments': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('apps')
          .addColumn('namespace', 'varchar(63)', (c) => c.notNull())
          .addColumn('app_name', 'varchar(63)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(512)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('live_revision', 'integer')
          .addColumn('deleted_at', 'bigint')
          .addPrimaryKeyConstraint('apps_pk', ['namespace', 'app_name'])
          .execute();
        await db.schema
          .createTable('deployments')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(512)', (c) => c.notNull())
          .addColumn('namespace', 'varchar(63)', (c) => c.notNull())
          .addColumn('app_name', 'varchar(63)', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('source_revision', 'integer')
          .addColumn('state', 'varchar(16)', (c) => c.notNull())
          .addColumn('progress', 'integer', (c) => c.notNull())
          .addColumn('target', 'varchar(16)', (c) => c.notNull())
          .addColumn('strategy', 'varchar(256)', (c) => c.notNull())
          .addColumn('request', large, (c) => c.notNull())
          .addColumn('image', 'varchar(512)')
          .addColumn('url', 'varchar(1024)')
          .addColumn('manifest', large)
          .addColumn('error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint')
          .addUniqueConstraint('deployments_app_revision_uq', ['namespace', 'app_name', 'revision'])
          .execute();
        await db.schema
          .createIndex('deployments_user_time_idx')
          .on('deployments')
          .columns(['user_id', 'created_at', 'id'])
          .execute();
        await db.schema
          .createIndex('deployments_time_idx')
          .on('deployments')
          .columns(['created_at', 'id'])
          .execute();
        await db.schema
          .createTable('deployment_events')
          .addColumn('deployment_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'varchar(8)', (c) => c.notNull())
          .addColumn('stage', 'varchar(16)', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('deployment_events_pk', ['deployment_id', 'seq'])
          .execute();
      },
    },
    '0002_create_registry_logins': createRegistryLoginsMigration,
    '0003_add_deployment_leases': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('deployments').addColumn('lease_owner', 'varchar(64)').execute();
        await db.schema.alterTable('deployments').addColumn('lease_expires_at', 'bigint').execute();
        await db.schema
          .createIndex('deployments_unfinished_idx')
          .on('deployments')
          .columns(['finished_at', 'lease_expires_at'])
          .execute();
      },
    },
  };
}

export type DeploymentRow = DeployerTables['deployments'];
export type AppRow = DeployerTables['apps'];
export type DeploymentEventRow = DeployerTables['deployment_events'];

export interface DeploymentsRepository {
  /**
   * Creates the app on first deploy (owned by `userId`) and the deployment with the next revision.
   * ConflictError while another deployment of the app is unfinished (on any replica).
   */
  createDeployment(row: Omit<DeploymentRow, 'revision'>): Promise<DeploymentRow>;
  /** Whether a deployment of the app is unfinished (running on some replica, or waiting to be recovered). */
  hasUnfinished(namespace: string, appName: string): Promise<boolean>;
  updateDeployment(
    id: string,
    patch: Partial<
      Pick<DeploymentRow, 'state' | 'progress' | 'image' | 'url' | 'manifest' | 'error' | 'finished_at'>
    >,
  ): Promise<void>;
  appendEvent(event: DeploymentEventRow): Promise<void>;
  getDeployment(id: string): Promise<DeploymentRow | undefined>;
  listEvents(deploymentId: string): Promise<DeploymentEventRow[]>;
  /** Newest first; all users when `userId` is undefined (admins). */
  listDeployments(options: {
    userId?: string;
    limit: number;
    before?: { at: number; id: string };
  }): Promise<DeploymentRow[]>;
  listRevisions(namespace: string, appName: string): Promise<DeploymentRow[]>;
  getRevision(namespace: string, appName: string, revision: number): Promise<DeploymentRow | undefined>;
  getApp(namespace: string, appName: string): Promise<AppRow | undefined>;
  /** Several apps in one query (a list page's apps); missing ones are simply absent. */
  listApps(keys: ReadonlyArray<{ namespace: string; appName: string }>): Promise<AppRow[]>;
  setLiveRevision(namespace: string, appName: string, revision: number | null): Promise<void>;
  markAppDeleted(namespace: string, appName: string, at: number): Promise<void>;
  /** Records still running (not in a final state): after a restart they are failed, not left hanging. */
  listUnfinished(): Promise<DeploymentRow[]>;
  /** Stored events after `afterSeq`, in order (live progress read by any replica). */
  listEventsAfter(deploymentId: string, afterSeq: number, limit: number): Promise<DeploymentEventRow[]>;
  /** Extends the leases this replica holds on these running deployments; returns the ids it still holds. */
  renewLeases(owner: string, ids: readonly string[], expiresAt: number): Promise<string[]>;
  /** Unfinished deployments whose lease lapsed (or that never had one) before `now`. */
  listExpiredLeases(now: number): Promise<DeploymentRow[]>;
  /**
   * Takes over a lapsed lease if nobody else did first (compare-and-set on the lease this replica saw):
   * true when this replica now holds it.
   */
  claimLease(
    row: Pick<DeploymentRow, 'id' | 'lease_owner' | 'lease_expires_at'>,
    owner: string,
    expiresAt: number,
  ): Promise<boolean>;
}

/** A duplicate key or a deadlock: what the loser of two concurrent first deployments of an app gets. */
function isRaceLost(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown };
  // PostgreSQL 23505 unique_violation, 40P01 deadlock; MySQL 1062 ER_DUP_ENTRY, 1213 ER_LOCK_DEADLOCK;
  // SQLite constraint codes.
  return (
    e.code === '23505' ||
    e.code === '40P01' ||
    e.errno === 1062 ||
    e.errno === 1213 ||
    (typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT'))
  );
}

export function createDeploymentsRepository(database: Database<DeployerTables>): DeploymentsRepository {
  const { db } = database;

  async function insertDeployment(row: Omit<DeploymentRow, 'revision'>): Promise<DeploymentRow> {
    return db.transaction().execute(async (trx) => {
      let appQuery = trx
        .selectFrom('apps')
        .selectAll()
        .where('namespace', '=', row.namespace)
        .where('app_name', '=', row.app_name);
      // Replicas share the database: the app row is locked so two of them cannot both start a pipeline
      // (SQLite serializes writing transactions by itself and has no FOR UPDATE).
      if (database.dialect !== 'sqlite') appQuery = appQuery.forUpdate();
      const app = await appQuery.executeTakeFirst();
      const unfinished = await trx
        .selectFrom('deployments')
        .select('id')
        .where('namespace', '=', row.namespace)
        .where('app_name', '=', row.app_name)
        .where('finished_at', 'is', null)
        .executeTakeFirst();
      if (unfinished)
        throw new ConflictError(
          `a deployment of ${row.namespace}/${row.app_name} is already running; wait for it to finish`,
        );
      if (!app) {
        await trx
          .insertInto('apps')
          .values({
            namespace: row.namespace,
            app_name: row.app_name,
            user_id: row.user_id,
            created_at: row.created_at,
            live_revision: null,
            deleted_at: null,
          })
          .execute();
      } else if (app.deleted_at !== null) {
        // Deploying a deleted app's name again revives it for the new owner; revisions keep counting.
        await trx
          .updateTable('apps')
          .set({ deleted_at: null, user_id: row.user_id, live_revision: null })
          .where('namespace', '=', row.namespace)
          .where('app_name', '=', row.app_name)
          .execute();
      }
      const last = await trx
        .selectFrom('deployments')
        .select((eb) => eb.fn.max('revision').as('max'))
        .where('namespace', '=', row.namespace)
        .where('app_name', '=', row.app_name)
        .executeTakeFirst();
      const revision = Number(last?.max ?? 0) + 1;
      const full: DeploymentRow = { ...row, revision };
      await trx.insertInto('deployments').values(full).execute();
      return full;
    });
  }

  return {
    async createDeployment(row) {
      try {
        return await insertDeployment(row);
      } catch (err) {
        // Two replicas creating the app's first rows at once: one wins, the other sees a duplicate key (or,
        // on MySQL, a deadlock on the gap lock); for the caller both mean "another deployment is starting".
        if (isRaceLost(err))
          throw new ConflictError(
            `a deployment of ${row.namespace}/${row.app_name} is already running; wait for it to finish`,
          );
        throw err;
      }
    },

    async hasUnfinished(namespace, appName) {
      const row = await db
        .selectFrom('deployments')
        .select('id')
        .where('namespace', '=', namespace)
        .where('app_name', '=', appName)
        .where('finished_at', 'is', null)
        .executeTakeFirst();
      return row !== undefined;
    },

    async updateDeployment(id, patch) {
      await db
        .updateTable('deployments')
        .set({ ...patch, updated_at: Date.now() })
        .where('id', '=', id)
        .execute();
    },

    async appendEvent(event) {
      await db.insertInto('deployment_events').values(event).execute();
    },

    getDeployment: (id) => db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst(),

    listEvents: (deploymentId) =>
      db
        .selectFrom('deployment_events')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .orderBy('seq')
        .execute(),

    async listDeployments({ userId, limit, before }) {
      let query = db.selectFrom('deployments').selectAll();
      if (userId !== undefined) query = query.where('user_id', '=', userId);
      if (before) {
        query = query
          .where('created_at', '<=', before.at)
          .where((eb) => eb.or([eb('created_at', '<', before.at), eb('id', '<', before.id)]));
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },

    listRevisions: (namespace, appName) =>
      db
        .selectFrom('deployments')
        .selectAll()
        .where('namespace', '=', namespace)
        .where('app_name', '=', appName)
        .orderBy('revision', 'desc')
        .execute(),

    getRevision: (namespace, appName, revision) =>
      db
        .selectFrom('deployments')
        .selectAll()
        .where('namespace', '=', namespace)
        .where('app_name', '=', appName)
        .where('revision', '=', revision)
        .executeTakeFirst(),

    getApp: (namespace, appName) =>
      db
        .selectFrom('apps')
        .selectAll()
        .where('namespace', '=', namespace)
        .where('app_name', '=', appName)
        .executeTakeFirst(),

    async listApps(keys) {
      if (keys.length === 0) return [];
      return db
        .selectFrom('apps')
        .selectAll()
        .where((eb) =>
          eb.or(keys.map((k) => eb.and([eb('namespace', '=', k.namespace), eb('app_name', '=', k.appName)]))),
        )
        .execute();
    },

    async setLiveRevision(namespace, appName, revision) {
      await db
        .updateTable('apps')
        .set({ live_revision: revision })
        .where('namespace', '=', namespace)
        .where('app_name', '=', appName)
        .execute();
    },

    async markAppDeleted(namespace, appName, at) {
      await db
        .updateTable('apps')
        .set({ deleted_at: at, live_revision: null })
        .where('namespace', '=', namespace)
        .where('app_name', '=', appName)
        .execute();
    },

    listUnfinished: () =>
      db
        .selectFrom('deployments')
        .selectAll()
        .where('state', 'not in', ['Stable', 'RolledBack', 'Failed'] satisfies DeploymentState[])
        .execute(),

    listEventsAfter: (deploymentId, afterSeq, limit) =>
      db
        .selectFrom('deployment_events')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute(),

    async renewLeases(owner, ids, expiresAt) {
      if (ids.length === 0) return [];
      await db
        .updateTable('deployments')
        .set({ lease_expires_at: expiresAt })
        .where('lease_owner', '=', owner)
        .where('id', 'in', [...ids])
        .where('finished_at', 'is', null)
        .execute();
      const held = await db
        .selectFrom('deployments')
        .select('id')
        .where('lease_owner', '=', owner)
        .where('id', 'in', [...ids])
        .execute();
      return held.map((r) => r.id);
    },

    listExpiredLeases: (now) =>
      db
        .selectFrom('deployments')
        .selectAll()
        .where('finished_at', 'is', null)
        .where('state', 'not in', ['Stable', 'RolledBack', 'Failed'] satisfies DeploymentState[])
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .orderBy('created_at')
        .execute(),

    async claimLease(row, owner, expiresAt) {
      let query = db
        .updateTable('deployments')
        .set({ lease_owner: owner, lease_expires_at: expiresAt })
        .where('id', '=', row.id);
      query =
        row.lease_expires_at === null
          ? query.where('lease_expires_at', 'is', null)
          : query.where('lease_expires_at', '=', row.lease_expires_at);
      query =
        row.lease_owner === null
          ? query.where('lease_owner', 'is', null)
          : query.where('lease_owner', '=', row.lease_owner);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
