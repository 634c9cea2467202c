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
} from '@ashapp/platform';
import { readIngressAndAutoscaling } from '../manifests/ingress-autoscaling.ts';
import { previewManifests } from '../manifests/preview.ts';
import {
  renderService,
  renderWorkload,
  serializeManifests,
  type KubeObject,
  type ManifestSpec,
} from '../manifests/render-manifests.ts';
import type { ManifestValidator } from '../manifests/validate-manifests.ts';
import type { PythonChecker } from '../python-check/python-check.ts';
import type { RegistryLoginsService, RegistrySession, RequestMeta } from '../registry-logins/registry-logins-service.ts';
import type { DeployTarget } from '../targets/deploy-target.ts';
import { readCanaryReplicas } from '../targets/strategies.ts';
import {
  validateAppCode,
  validateAppName,
  validateDeploySettings,
  validateGitRef,
  validateGitUrl,
  validateNamespace,
  validateRepositoryName,
  validateRequirements,
  validateTag,
} from '../validation/inputs.ts';
import {
  formatStrategy,
  readImageName,
  type DeploymentPipeline,
  type SourcePlan,
  type StrategyPlan,
  type WorkloadSettings,
} from './deployment-pipeline.ts';
import type { DeploymentRunner } from './deployment-runner.ts';
import { isFinalState, type DeploymentState } from './deployment-states.ts';
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
} from './schemas.ts';

export interface DeploymentsService {
  validate(caller: Identity, body: ValidateBody): Promise<ValidationView>;
  preview(caller: Identity, body: DeployBody): Promise<{ manifests: string; objects: KubeObject[]; image: string; revision: number }>;
  deploy(caller: Identity, body: DeployBody, meta: RequestMeta): Promise<DeployAccepted>;
  list(caller: Identity, query: ListDeploymentsQuery): Promise<{ items: DeploymentView[]; next_cursor: string | null }>;
  get(caller: Identity, id: string): Promise<DeploymentDetail>;
  /** The record, if the caller may see it (for the event stream). */
  readVisible(caller: Identity, id: string): Promise<DeploymentRow>;
  revisions(caller: Identity, appName: string, namespace: unknown): Promise<{
    app_name: string;
    namespace: string;
    live_revision: number | null;
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
  deleteApp(caller: Identity, appName: string, namespace: unknown, meta: RequestMeta): Promise<{ deleted: boolean; app_name: string; namespace: string }>;
  /** Start-up: finishes records a previous process left running (as tracked tasks). */
  recoverUnfinished(): Promise<number>;
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
}

interface ParsedRequest {
  appName: string;
  namespace: string;
  settings: WorkloadSettings;
  strategy: StrategyPlan;
  source: Exclude<SourcePlan, { type: 'revision' }>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const appKey = (namespace: string, appName: string) => `${namespace}/${appName}`;

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Checks a deploy/preview body beyond its schema; each problem is a 400 naming the field. */
function parseDeployBody(
  body: DeployBody,
  options: { allowLocalGit: boolean; target: DeployTarget; purpose?: 'deploy' | 'preview' },
): ParsedRequest {
  const hasCode = present(body.code);
  const hasRepo = present(body.repo_url);
  if (hasCode && hasRepo) throw new InputError('code: give either code or repo_url, not both', { field: 'code' });
  if (!hasCode && !hasRepo) throw new InputError('code: pasted code or a repo_url is required', { field: 'code' });
  let source: ParsedRequest['source'];
  let derivedName: string | undefined;
  if (hasCode) {
    for (const field of ['ref', 'image_name', 'tag'] as const) {
      if (present(body[field])) throw new InputError(`${field}: only applies to a repository source`, { field });
    }
    const requirements = validateRequirements(body.requirements);
    source = { type: 'code', code: validateAppCode(body.code), ...(requirements !== undefined ? { requirements } : {}) };
  } else {
    if (present(body.requirements)) throw new InputError('requirements: only applies to pasted code', { field: 'requirements' });
    const url = validateGitUrl(body.repo_url, { allowLocalPaths: options.allowLocalGit });
    const imageName = present(body.image_name) ? validateRepositoryName(body.image_name) : undefined;
    const tag = present(body.tag) ? validateTag(body.tag) : undefined;
    source = {
      type: 'git',
      repoUrl: url.kind === 'https' ? url.url : url.path,
      ref: validateGitRef(body.ref),
      ...(imageName ? { imageName } : {}),
      ...(tag ? { tag } : {}),
    };
    derivedName = imageName?.split('/').at(-1);
  }
  const withName = { ...body, app_name: present(body.app_name) ? body.app_name : derivedName };
  if (!present(withName.app_name)) throw new InputError('app_name: is required', { field: 'app_name' });
  const settings = validateDeploySettings(withName as Record<string, unknown>);
  const strategyName = body.strategy ?? 'rolling';
  if (strategyName !== 'rolling' && options.target.name !== 'kubernetes') {
    throw new InputError(
      `strategy: ${strategyName} needs the kubernetes target; this deployer runs apps with ${options.target.name}, which supports rolling only`,
      { field: 'strategy' },
    );
  }
  const strategy: StrategyPlan =
    strategyName === 'canary'
      ? { type: 'canary', percent: body.canary_percent ?? 20 }
      : strategyName === 'blue-green'
        ? { type: 'blue-green' }
        : { type: 'rolling' };
  return {
    appName: settings.appName,
    namespace: settings.namespace,
    settings: {
      kind: settings.kind,
      replicas: settings.replicas,
      serviceType: settings.serviceType,
      containerPort: settings.containerPort,
      ...readIngressAndAutoscaling(body, { target: options.target.name, purpose: options.purpose ?? 'deploy' }),
    },
    strategy,
    source,
  };
}

/** What preview shows: the objects the chosen strategy would apply for this revision. */
function renderForStrategy(spec: Omit<ManifestSpec, 'strategy'>, strategy: StrategyPlan): KubeObject[] {
  if (strategy.type === 'blue-green') {
    const bg = { type: 'blue-green' as const, colour: 'blue' as const, serviceColour: 'blue' as const };
    return [renderWorkload({ ...spec, strategy: bg }), renderService({ ...spec, strategy: bg })];
  }
  if (strategy.type === 'canary') {
    return [
      renderWorkload({ ...spec, strategy: { type: 'canary', track: 'stable' } }),
      renderWorkload({
        ...spec,
        replicas: readCanaryReplicas(spec.replicas, strategy.percent / 100),
        strategy: { type: 'canary', track: 'canary' },
      }),
      renderService({ ...spec, strategy: { type: 'canary', track: 'canary' } }),
    ];
  }
  return [renderWorkload(spec), renderService(spec)];
}

function toView(row: DeploymentRow, app: AppRow | undefined): DeploymentView {
  return {
    id: row.id,
    app_name: row.app_name,
    namespace: row.namespace,
    revision: row.revision,
    kind: row.kind,
    source_revision: row.source_revision,
    state: row.state,
    progress: row.progress,
    strategy: row.strategy,
    target: row.target,
    image: row.image,
    url: row.url,
    error: row.error,
    user_id: row.user_id,
    live: app !== undefined && app.deleted_at === null && app.live_revision === row.revision,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    finished_at: row.finished_at === null ? null : iso(row.finished_at),
  };
}

/** The stored request without pasted code: a summary of the source for the record view. */
function describeSource(request: string): Record<string, unknown> {
  const parsed = JSON.parse(request) as { source?: Record<string, unknown>; settings?: unknown; strategy?: unknown };
  const source = { ...(parsed.source ?? {}) };
  if (typeof source.code === 'string') {
    source.code_bytes = Buffer.byteLength(source.code, 'utf8');
    delete source.code;
  }
  return { ...source, settings: parsed.settings, strategy: parsed.strategy };
}

/**
 * Everything behind /deployer-api/deploy and /deployer-api/deployments: checks a request completely before
 * anything runs (names, source, strategy, ownership, one pipeline per app), records it, and hands the
 * pipeline to the runner; lists, shows, rolls back and deletes.
 */
export function createDeploymentsService(options: DeploymentsServiceOptions): DeploymentsService {
  const { repository, runner, target } = options;

  function canSee(caller: Identity, row: { user_id: string }): boolean {
    return isAdmin(caller) || row.user_id === caller.userId;
  }

  /** Only the app's owner (or an admin) may deploy over it, roll it back or delete it. */
  function assertOwner(caller: Identity, app: AppRow | undefined, appName: string): void {
    if (app && app.deleted_at === null && app.user_id !== caller.userId && !isAdmin(caller)) {
      throw new NotAllowedError(`${appName} belongs to another user; only its owner or an admin may change it`);
    }
  }

  async function readRegistry(caller: Identity): Promise<RegistrySession | undefined> {
    const session = await options.registryLogins.readSession(caller);
    if (!session && target.name === 'kubernetes') {
      throw new InputError('registry: sign in to a registry first (POST /deployer-api/docker-login); the cluster pulls the image from it', {
        field: 'registry',
      });
    }
    return session;
  }

  async function recordRequestAudit(caller: Identity, meta: RequestMeta, action: string, data: Record<string, unknown>, summary: Record<string, unknown>) {
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
      input.source.type === 'revision' ? { type: 'revision', revision: input.source.revision, image: input.source.image } : input.source;
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
    });
    await repository.appendEvent({ deployment_id: row.id, seq: 0, at: now, kind: 'state', stage: 'Initialized', text: '' });
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
    input.reservation.start((signal, releaseApp) => options.pipeline.run(plan, signal, releaseApp));
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
        if (err instanceof InputError && err.details?.field === 'code') {
          const message = err.message.replace(/^code: /, '');
          return { valid: false, errors: [{ message }], error: message };
        }
        throw err;
      }
    },

    async preview(caller, body) {
      const parsed = parseDeployBody(body, { allowLocalGit: options.allowLocalGit, target, purpose: 'preview' });
      const registry = await options.registryLogins.readSession(caller);
      const last = (await repository.listRevisions(parsed.namespace, parsed.appName))[0]?.revision ?? 0;
      const revision = last + 1;
      const image = readImageName({
        row: { revision, namespace: parsed.namespace, app_name: parsed.appName } as DeploymentRow,
        source: parsed.source,
        registry,
      });
      const spec = { appName: parsed.appName, namespace: parsed.namespace, image, revision, ...parsed.settings };
      if (parsed.strategy.type === 'rolling') {
        const preview = previewManifests(spec, options.validator);
        return { manifests: preview.yaml, objects: preview.objects, image, revision };
      }
      const objects = renderForStrategy(spec, parsed.strategy);
      options.validator.assertValid(objects);
      return { manifests: serializeManifests(objects), objects, image, revision };
    },

    async deploy(caller, body, meta) {
      const parsed = parseDeployBody(body, { allowLocalGit: options.allowLocalGit, target });
      // Claimed before any await, so two requests at once cannot both start a pipeline for the app.
      const reservation = runner.reserve(appKey(parsed.namespace, parsed.appName));
      try {
        assertOwner(caller, await repository.getApp(parsed.namespace, parsed.appName), parsed.appName);
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
      const last = page.at(-1);
      return {
        items: page.map((row) => toView(row, apps.get(appKey(row.namespace, row.app_name)))),
        next_cursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
      };
    },

    async readVisible(caller, id) {
      const row = await repository.getDeployment(id);
      if (!row || !canSee(caller, row)) throw new NotFoundError('deployment not found');
      return row;
    },

    async get(caller, id) {
      const row = await this.readVisible(caller, id);
      const [app, events] = await Promise.all([repository.getApp(row.namespace, row.app_name), repository.listEvents(id)]);
      return {
        ...toView(row, app),
        manifest: row.manifest,
        source: describeSource(row.request),
        events: events.map((e) => ({ seq: e.seq, at: iso(e.at), kind: e.kind, stage: e.stage, text: e.text })),
      };
    },

    async revisions(caller, appNameInput, namespaceInput) {
      const appName = validateAppName(appNameInput, 'app');
      const namespace = validateNamespace(namespaceInput);
      const app = await repository.getApp(namespace, appName);
      if (!app) throw new NotFoundError(`no app ${appName} in ${namespace}`);
      if (!canSee(caller, app)) throw new NotAllowedError(`${appName} belongs to another user`);
      const rows = await repository.listRevisions(namespace, appName);
      const live = app.deleted_at === null ? app.live_revision : null;
      return {
        app_name: appName,
        namespace,
        live_revision: live,
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
      const namespace = validateNamespace(body.namespace);
      const reservation = runner.reserve(appKey(namespace, appName));
      try {
        const app = await repository.getApp(namespace, appName);
        if (!app || app.deleted_at !== null) throw new NotFoundError(`no app ${appName} in ${namespace}`);
        assertOwner(caller, app, appName);
        const source = await repository.getRevision(namespace, appName, body.revision);
        if (!source) throw new NotFoundError(`${appName} has no revision ${body.revision}`);
        if (source.state !== 'Stable' || !source.manifest || !source.image) {
          throw new InputError(`revision: ${body.revision} never became Stable, so there is nothing recorded to return to`, {
            field: 'revision',
          });
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
          source: { type: 'revision', revision: source.revision, image: source.image, manifest: source.manifest },
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
      const namespace = validateNamespace(namespaceInput);
      const reservation = runner.reserve(appKey(namespace, appName));
      try {
        const app = await repository.getApp(namespace, appName);
        if (!app || app.deleted_at !== null) throw new NotFoundError(`no app ${appName} in ${namespace}`);
        assertOwner(caller, app, appName);
        await target.delete({ appName, namespace });
        await repository.markAppDeleted(namespace, appName, Date.now());
        await recordRequestAudit(caller, meta, 'deployment.app_deleted', { app_name: appName, namespace }, { deleted: true });
        return { deleted: true, app_name: appName, namespace };
      } finally {
        reservation.release();
      }
    },

    async recoverUnfinished() {
      const rows = await repository.listUnfinished();
      for (const row of rows) {
        if (isFinalState(row.state as DeploymentState)) continue;
        let reservation;
        try {
          reservation = runner.reserve(appKey(row.namespace, row.app_name));
        } catch (err) {
          if (err instanceof ConflictError) continue;
          throw err;
        }
        options.log.warn({ deploymentId: row.id, state: row.state }, 'finishing a deployment left running by a previous process');
        reservation.start((signal) => options.pipeline.recover(row, signal));
      }
      return rows.length;
    },
  };
}
