import {
  ConflictError,
  createId,
  decodeCursor,
  encodeCursor,
  InputError,
  isAdmin,
  NotAllowedError,
  NotFoundError,
  type AuditOutbox,
  type Identity,
  type Logger,
  type RequestMeta,
} from '@ashapp/platform';
import { previewManifests } from '../manifests/preview.ts';
import { serializeManifests, type KubeObject } from '../manifests/render-manifests.ts';
import type { ManifestValidator } from '../manifests/validate-manifests.ts';
import type { PythonChecker } from '../python-check/python-check.ts';
import type { RegistryLoginsService, RegistrySession } from '../registry-logins/registry-logins-service.ts';
import type { DeployTarget } from '../targets/deploy-target.ts';
import { validateAppCode, validateAppName } from '../validation/inputs.ts';
import type { NamespacePolicy } from '../validation/namespace-policy.ts';
import {
  formatStrategy,
  readImageName,
  type DeploymentPipeline,
  type SourcePlan,
  type StrategyPlan,
  type WorkloadSettings,
} from './deployment-pipeline.ts';
import { createDeploymentLeases, type DeploymentLeases } from './deployment-leases.ts';
import {
  appKey,
  describeSource,
  iso,
  parseDeployBody,
  present,
  renderForStrategy,
  toView,
  type ObservedStatus,
} from './deployment-requests.ts';
import type { DeploymentRunner } from './deployment-runner.ts';
import type { AppRow, DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';
import type {
  DeployAccepted,
  DeployBody,
  DeploymentDetail,
  DeploymentView,
  ListDeploymentsQuery,
  RollbackBody,
  ValidateBody,
  ValidationView,
} from '@ashapp/contracts/deployer';

export interface DeploymentsService {
  validate(caller: Identity, body: ValidateBody): Promise<ValidationView>;
  preview(
    caller: Identity,
    body: DeployBody,
  ): Promise<{ manifests: string; objects: KubeObject[]; image: string; revision: number }>;
  deploy(caller: Identity, body: DeployBody, meta: RequestMeta): Promise<DeployAccepted>;
  list(
    caller: Identity,
    query: ListDeploymentsQuery,
  ): Promise<{ items: DeploymentView[]; next_cursor: string | null }>;
  get(caller: Identity, id: string): Promise<DeploymentDetail>;
  /** The record, if the caller may see it (for the event stream). */
  readVisible(caller: Identity, id: string): Promise<DeploymentRow>;
  revisions(
    caller: Identity,
    appName: string,
    namespace: unknown,
  ): Promise<{
    app_name: string;
    namespace: string;
    live_revision: number | null;
    target_status: 'running' | 'not-ready' | 'missing' | 'foreign' | 'unknown' | null;
    items: Array<{
      id: string;
      revision: number;
      kind: string;
      source_revision: number | null;
      image: string;
      state: string;
      url: string | null;
      live: boolean;
      rollback_possible: boolean;
      created_at: string;
    }>;
  }>;
  rollback(caller: Identity, appName: string, body: RollbackBody, meta: RequestMeta): Promise<DeployAccepted>;
  deleteApp(
    caller: Identity,
    appName: string,
    namespace: unknown,
    meta: RequestMeta,
  ): Promise<{ deleted: boolean; app_name: string; namespace: string }>;
  /** The namespaces the caller may deploy into and the one a request without a namespace goes to. */
  namespaces(caller: Identity): { default: string; allowed: string[] };
  /**
   * Finishes records whose replica stopped renewing their lease (a previous process of this one, or another
   * replica that died), as tracked tasks. Start-up calls it once; `leases` keeps doing it on a timer.
   */
  recoverUnfinished(): Promise<number>;
  /** Lease renewal and the sweep for lapsed leases (main starts and stops the timer). */
  readonly leases: DeploymentLeases;
}

export interface DeploymentsServiceOptions {
  log: Logger;
  repository: DeploymentsRepository;
  runner: DeploymentRunner;
  pipeline: DeploymentPipeline;
  target: DeployTarget;
  checker: PythonChecker;
  validator: ManifestValidator;
  registryLogins: RegistryLoginsService;
  audit: AuditOutbox;
  allowLocalGit: boolean;
  namespaces: NamespacePolicy;
  /** This process among the deployer replicas sharing the database. */
  replicaId: string;
  leaseMs: number;
}

/** How long a target's answer about an app is reused by list and detail views. */
const observeTtlMs = 2000;

/**
 * Everything behind /deployer-api/deploy and /deployer-api/deployments: checks a request completely before
 * anything runs (names, source, strategy, ownership, one pipeline per app), records it, and hands the
 * pipeline to the runner; lists, shows, rolls back and deletes.
 */
export function createDeploymentsService(options: DeploymentsServiceOptions): DeploymentsService {
  const { repository, runner, target } = options;
  /** Recent target answers per app (see `observe`). */
  const observed = new Map<string, { owner: string; status: ObservedStatus; at: number }>();

  /** Runs a task for a record in the app's reserved slot, keeping the record's lease renewed until it settles. */
  function startLeased(
    reservation: ReturnType<DeploymentRunner['reserve']>,
    id: string,
    task: (signal: AbortSignal, releaseApp: () => void) => Promise<void>,
  ): void {
    leases.track(id);
    reservation.start(async (signal, releaseApp) => {
      try {
        await task(signal, releaseApp);
      } finally {
        leases.untrack(id);
      }
    });
  }

  const leases = createDeploymentLeases({
    repository,
    replicaId: options.replicaId,
    leaseMs: options.leaseMs,
    log: options.log,
    recover(row) {
      let reservation;
      try {
        reservation = runner.reserve(appKey(row.namespace, row.app_name));
      } catch (err) {
        if (err instanceof ConflictError) return false;
        throw err;
      }
      options.log.warn(
        { deploymentId: row.id, state: row.state },
        'finishing a deployment whose replica stopped',
      );
      startLeased(reservation, row.id, (signal) => options.pipeline.recover(row, signal));
      return true;
    },
  });

  function canSee(caller: Identity, row: { user_id: string }): boolean {
    return isAdmin(caller) || row.user_id === caller.userId;
  }

  /**
   * Only the app's owner (or an admin) may deploy over it. A deploy cannot help saying the name is taken;
   * it says nothing more (no owner, no revision).
   */
  function assertOwner(caller: Identity, app: AppRow | undefined, appName: string, namespace: string): void {
    if (app && app.deleted_at === null && app.user_id !== caller.userId && !isAdmin(caller)) {
      throw new NotAllowedError(`${appName} in ${namespace} is not yours; choose another app name`);
    }
  }

  /**
   * The caller's own live app (or any, for admins). Missing, deleted and another user's apps get the same
   * 404, so revisions, rollback and delete cannot be used to learn which names other users hold.
   */
  async function readOwnApp(caller: Identity, namespace: string, appName: string): Promise<AppRow> {
    const app = await repository.getApp(namespace, appName);
    if (!app || app.deleted_at !== null || !canSee(caller, app))
      throw new NotFoundError(`no app ${appName} in ${namespace}`);
    return app;
  }

  /**
   * What the target really runs for an app the records call live: a pod removed behind the deployer's back
   * must not be shown as "Stable, live". Not checked while a pipeline of this app runs here (it is changing).
   */
  async function observe(app: AppRow | undefined, reuse = false): Promise<ObservedStatus | undefined> {
    if (!app || app.deleted_at !== null || app.live_revision === null) return undefined;
    const key = appKey(app.namespace, app.app_name);
    if (runner.isRunning(key)) return 'running';
    // A list page asks for many apps and pages are polled: their answers are reused for a moment (one
    // record's view always asks the target).
    const cached = observed.get(key);
    if (reuse && cached && cached.owner === app.user_id && Date.now() - cached.at < observeTtlMs)
      return cached.status;
    let status: ObservedStatus;
    try {
      status = await target.readStatus({
        appName: app.app_name,
        namespace: app.namespace,
        owner: app.user_id,
      });
    } catch (err) {
      options.log.warn(
        { err, app: app.app_name, namespace: app.namespace },
        'could not read the app from the target',
      );
      status = 'unknown';
    }
    if (observed.size >= 1000) observed.clear();
    observed.set(key, { owner: app.user_id, status, at: Date.now() });
    return status;
  }

  /** Observes several apps, a few target queries at a time (each may start a podman process). */
  async function observeAll(
    apps: ReadonlyMap<string, AppRow | undefined>,
  ): Promise<Map<string, ObservedStatus | undefined>> {
    const result = new Map<string, ObservedStatus | undefined>();
    const entries = [...apps];
    for (let i = 0; i < entries.length; i += 4) {
      const batch = entries.slice(i, i + 4);
      for (const [key, status] of await Promise.all(
        batch.map(async ([k, app]) => [k, await observe(app, true)] as const),
      ))
        result.set(key, status);
    }
    return result;
  }

  async function readRegistry(caller: Identity): Promise<RegistrySession | undefined> {
    const session = await options.registryLogins.readSession(caller);
    if (!session && target.name === 'kubernetes') {
      throw new InputError(
        'registry: sign in to a registry first (POST /deployer-api/docker-login); the cluster pulls the image from it',
        {
          field: 'registry',
        },
      );
    }
    return session;
  }

  async function recordRequestAudit(
    caller: Identity,
    meta: RequestMeta,
    action: string,
    data: Record<string, unknown>,
    summary: Record<string, unknown>,
  ) {
    await options.audit.record({
      user_id: caller.userId,
      endpoint: meta.endpoint,
      action_type: action,
      request_data: data,
      response_summary: summary,
      ip_address: meta.ip,
      ...(meta.userAgent ? { user_agent: meta.userAgent } : {}),
      request_id: caller.requestId,
    });
  }

  async function startPipeline(input: {
    caller: Identity;
    meta: RequestMeta;
    appName: string;
    namespace: string;
    kind: 'deploy' | 'rollback';
    sourceRevision: number | null;
    settings: WorkloadSettings;
    strategy: StrategyPlan;
    source: SourcePlan;
    registry: RegistrySession | undefined;
    reservation: ReturnType<DeploymentRunner['reserve']>;
  }): Promise<DeployAccepted> {
    const now = Date.now();
    const storedSource =
      input.source.type === 'revision'
        ? { type: 'revision', revision: input.source.revision, image: input.source.image }
        : input.source;
    const row = await repository.createDeployment({
      id: createId(now),
      user_id: input.caller.userId,
      namespace: input.namespace,
      app_name: input.appName,
      kind: input.kind,
      source_revision: input.sourceRevision,
      state: 'Initialized',
      progress: 0,
      target: target.name,
      strategy: formatStrategy(input.strategy),
      request: JSON.stringify({ settings: input.settings, strategy: input.strategy, source: storedSource }),
      image: input.source.type === 'revision' ? input.source.image : null,
      url: null,
      manifest: null,
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
      ...leases.initial(now),
    });
    await repository.appendEvent({
      deployment_id: row.id,
      seq: 0,
      at: now,
      kind: 'state',
      stage: 'Initialized',
      text: '',
    });
    await recordRequestAudit(
      input.caller,
      input.meta,
      input.kind === 'rollback' ? 'deployment.rollback_requested' : 'deployment.requested',
      {
        app_name: input.appName,
        namespace: input.namespace,
        source: input.source.type,
        ...(input.source.type === 'git' ? { repo_url: input.source.repoUrl, ref: input.source.ref } : {}),
        ...(input.sourceRevision !== null ? { revision: input.sourceRevision } : {}),
        strategy: formatStrategy(input.strategy),
      },
      { deployment_id: row.id, revision: row.revision, state: 'Initialized' },
    );
    const plan = {
      row,
      settings: input.settings,
      strategy: input.strategy,
      source: input.source,
      registry: input.registry,
      meta: { ...input.meta, requestId: input.caller.requestId },
    };
    startLeased(input.reservation, row.id, (signal, releaseApp) =>
      options.pipeline.run(plan, signal, releaseApp),
    );
    return {
      deployment_id: row.id,
      app_name: row.app_name,
      namespace: row.namespace,
      revision: row.revision,
      state: 'Initialized',
      stream_url: `/deployer-api/deployments/${row.id}/stream`,
    };
  }

  return {
    async validate(_caller, body) {
      if (present(body.app_name)) validateAppName(body.app_name);
      const code = validateAppCode(body.code);
      try {
        const check = await options.checker.checkFlaskApp(code);
        if (!check.ok) {
          const { line, column, message } = check.syntaxError;
          const where = line !== null ? ` at line ${line}${column !== null ? `, column ${column}` : ''}` : '';
          return { valid: false, errors: [{ line, column, message }], error: `${message}${where}` };
        }
        return {
          valid: true,
          errors: [],
          message: 'Code is valid',
          app_object: `${check.module}:${check.appVariable}`,
          port: check.port,
          routes: check.routes,
        };
      } catch (err) {
        // "No Flask app" is an answer about the code, not a malformed request.
        // Code beyond the checker's limits stays a 400: it is the request that is unacceptable.
        if (err instanceof InputError && err.details?.field === 'code' && err.details.limit !== true) {
          const message = err.message.replace(/^code: /, '');
          return { valid: false, errors: [{ message }], error: message };
        }
        throw err;
      }
    },

    async preview(caller, body) {
      const parsed = parseDeployBody(body, {
        allowLocalGit: options.allowLocalGit,
        target,
        caller,
        namespaces: options.namespaces,
        purpose: 'preview',
      });
      const registry = await options.registryLogins.readSession(caller);
      // The same check as deploy: another user's app yields no revision number, owner or image name.
      const existing = await repository.getApp(parsed.namespace, parsed.appName);
      assertOwner(caller, existing, parsed.appName, parsed.namespace);
      const last = (await repository.listRevisions(parsed.namespace, parsed.appName))[0]?.revision ?? 0;
      const revision = last + 1;
      const owner = existing && existing.deleted_at === null ? existing.user_id : caller.userId;
      const image = readImageName({
        row: { revision, namespace: parsed.namespace, app_name: parsed.appName } as DeploymentRow,
        source: parsed.source,
        registry,
        owner,
      });
      const spec = {
        appName: parsed.appName,
        namespace: parsed.namespace,
        image,
        revision,
        ...parsed.settings,
      };
      if (parsed.strategy.type === 'rolling') {
        const preview = previewManifests(spec, options.validator);
        return { manifests: preview.yaml, objects: preview.objects, image, revision };
      }
      const objects = renderForStrategy(spec, parsed.strategy);
      options.validator.assertValid(objects);
      return { manifests: serializeManifests(objects), objects, image, revision };
    },

    async deploy(caller, body, meta) {
      const parsed = parseDeployBody(body, {
        allowLocalGit: options.allowLocalGit,
        target,
        caller,
        namespaces: options.namespaces,
      });
      // Claimed before any await, so two requests at once cannot both start a pipeline for the app.
      const reservation = runner.reserve(appKey(parsed.namespace, parsed.appName));
      try {
        assertOwner(
          caller,
          await repository.getApp(parsed.namespace, parsed.appName),
          parsed.appName,
          parsed.namespace,
        );
        const registry = await readRegistry(caller);
        return await startPipeline({
          caller,
          meta,
          appName: parsed.appName,
          namespace: parsed.namespace,
          kind: 'deploy',
          sourceRevision: null,
          settings: parsed.settings,
          strategy: parsed.strategy,
          source: parsed.source,
          registry,
          reservation,
        });
      } catch (err) {
        reservation.release();
        throw err;
      }
    },

    async list(caller, query) {
      const rows = await repository.listDeployments({
        ...(isAdmin(caller) ? {} : { userId: caller.userId }),
        limit: query.limit + 1,
        ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
      });
      const page = rows.slice(0, query.limit);
      const apps = new Map<string, AppRow | undefined>();
      for (const row of page) {
        const key = appKey(row.namespace, row.app_name);
        if (!apps.has(key)) apps.set(key, await repository.getApp(row.namespace, row.app_name));
      }
      const statuses = await observeAll(apps);
      const last = page.at(-1);
      return {
        items: page.map((row) => {
          const key = appKey(row.namespace, row.app_name);
          return toView(row, apps.get(key), statuses.get(key));
        }),
        next_cursor:
          rows.length > query.limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
      };
    },

    async readVisible(caller, id) {
      const row = await repository.getDeployment(id);
      if (!row || !canSee(caller, row)) throw new NotFoundError('deployment not found');
      return row;
    },

    async get(caller, id) {
      const row = await this.readVisible(caller, id);
      const [app, events] = await Promise.all([
        repository.getApp(row.namespace, row.app_name),
        repository.listEvents(id),
      ]);
      return {
        ...toView(row, app, await observe(app)),
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
    },

    async revisions(caller, appNameInput, namespaceInput) {
      const appName = validateAppName(appNameInput, 'app');
      const namespace = options.namespaces.resolve(caller, namespaceInput);
      const app = await repository.getApp(namespace, appName);
      // Missing and foreign answer alike (no existence oracle); a deleted app's history stays readable.
      if (!app || !canSee(caller, app)) throw new NotFoundError(`no app ${appName} in ${namespace}`);
      const rows = await repository.listRevisions(namespace, appName);
      const observed = await observe(app);
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
    },

    async rollback(caller, appNameInput, body, meta) {
      const appName = validateAppName(appNameInput, 'app');
      const namespace = options.namespaces.resolve(caller, body.namespace);
      const reservation = runner.reserve(appKey(namespace, appName));
      try {
        await readOwnApp(caller, namespace, appName);
        const source = await repository.getRevision(namespace, appName, body.revision);
        if (!source) throw new NotFoundError(`${appName} has no revision ${body.revision}`);
        if (source.state !== 'Stable' || !source.manifest || !source.image) {
          throw new InputError(
            `revision: ${body.revision} never became Stable, so there is nothing recorded to return to`,
            {
              field: 'revision',
            },
          );
        }
        const request = JSON.parse(source.request) as { settings: WorkloadSettings };
        const registry = await options.registryLogins.readSession(caller);
        return await startPipeline({
          caller,
          meta,
          appName,
          namespace,
          kind: 'rollback',
          sourceRevision: source.revision,
          settings: request.settings,
          strategy: { type: 'rolling' },
          source: {
            type: 'revision',
            revision: source.revision,
            image: source.image,
            manifest: source.manifest,
          },
          registry,
          reservation,
        });
      } catch (err) {
        reservation.release();
        throw err;
      }
    },

    async deleteApp(caller, appNameInput, namespaceInput, meta) {
      const appName = validateAppName(appNameInput, 'app');
      const namespace = options.namespaces.resolve(caller, namespaceInput);
      const reservation = runner.reserve(appKey(namespace, appName));
      try {
        const app = await readOwnApp(caller, namespace, appName);
        // Another replica may be running a deployment of it (the local reservation only covers this one).
        if (await repository.hasUnfinished(namespace, appName)) {
          throw new ConflictError(
            `a deployment of ${namespace}/${appName} is running; delete it once it has finished`,
          );
        }
        await target.delete({ appName, namespace, owner: app.user_id });
        await repository.markAppDeleted(namespace, appName, Date.now());
        await recordRequestAudit(
          caller,
          meta,
          'deployment.app_deleted',
          { app_name: appName, namespace },
          { deleted: true },
        );
        return { deleted: true, app_name: appName, namespace };
      } finally {
        reservation.release();
      }
    },

    namespaces(caller) {
      return {
        default: options.namespaces.defaultFor(caller),
        allowed: options.namespaces.allowedFor(caller),
      };
    },

    recoverUnfinished: () => leases.sweep(),

    leases,
  };
}
