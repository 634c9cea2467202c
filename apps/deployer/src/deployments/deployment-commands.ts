import { ConflictError, InputError, NotFoundError, type Identity } from '@ashapp/platform';
import { previewManifests } from '../manifests/preview.ts';
import { serializeManifests, type KubeObject } from '../manifests/render-manifests.ts';
import type { RequestMeta } from '@ashapp/platform';
import { validateAppCode, validateAppName } from '../validation/inputs.ts';
import { assertOwner, readOwnApp } from './app-access.ts';
import { readImageName, type WorkloadSettings } from './deployment-pipeline.ts';
import { appKey, parseDeployBody, present, renderForStrategy } from './deployment-requests.ts';
import type { DeploymentRow } from './deployments-repository.ts';
import type {
  DeployAccepted,
  DeployBody,
  RollbackBody,
  ValidateBody,
  ValidationView,
} from '@ashapp/contracts/deployer';
import type { ServiceContext } from './service-context.ts';
import { readRegistry, recordRequestAudit, startPipeline } from './start-deployment.ts';

/** Checks pasted code with Python's own parser; "no Flask app" is an answer, not a malformed request. */
export async function validateCode(ctx: ServiceContext, body: ValidateBody): Promise<ValidationView> {
  if (present(body.app_name)) validateAppName(body.app_name);
  const code = validateAppCode(body.code);
  try {
    const check = await ctx.options.checker.checkFlaskApp(code);
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
}

/** The manifests a deploy would apply, with the revision and image it would get; nothing is recorded. */
export async function previewDeploy(
  ctx: ServiceContext,
  caller: Identity,
  body: DeployBody,
): Promise<{ manifests: string; objects: KubeObject[]; image: string; revision: number }> {
  const { options, repository, target } = ctx;
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
}

/** Checks a deploy completely (names, source, strategy, ownership, one pipeline per app), then starts it. */
export async function startDeploy(
  ctx: ServiceContext,
  caller: Identity,
  body: DeployBody,
  meta: RequestMeta,
): Promise<DeployAccepted> {
  const { options, repository, runner, target } = ctx;
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
    const registry = await readRegistry(ctx, caller);
    return await startPipeline(ctx, {
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
}

/** Starts a deployment of an earlier Stable revision's exact image and manifest. */
export async function startRollback(
  ctx: ServiceContext,
  caller: Identity,
  appNameInput: string,
  body: RollbackBody,
  meta: RequestMeta,
): Promise<DeployAccepted> {
  const { options, repository, runner } = ctx;
  const appName = validateAppName(appNameInput, 'app');
  const namespace = options.namespaces.resolve(caller, body.namespace);
  const reservation = runner.reserve(appKey(namespace, appName));
  try {
    await readOwnApp(repository, caller, namespace, appName);
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
    return await startPipeline(ctx, {
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
}

/** Removes the app from the target and marks it deleted; its history stays readable. */
export async function deleteApp(
  ctx: ServiceContext,
  caller: Identity,
  appNameInput: string,
  namespaceInput: string | undefined,
  meta: RequestMeta,
): Promise<{ deleted: boolean; app_name: string; namespace: string }> {
  const { options, repository, runner, target } = ctx;
  const appName = validateAppName(appNameInput, 'app');
  const namespace = options.namespaces.resolve(caller, namespaceInput);
  const reservation = runner.reserve(appKey(namespace, appName));
  try {
    const app = await readOwnApp(repository, caller, namespace, appName);
    // Another replica may be running a deployment of it (the local reservation only covers this one).
    if (await repository.hasUnfinished(namespace, appName)) {
      throw new ConflictError(
        `a deployment of ${namespace}/${appName} is running; delete it once it has finished`,
      );
    }
    await target.delete({ appName, namespace, owner: app.user_id });
    await repository.markAppDeleted(namespace, appName, Date.now());
    await recordRequestAudit(
      ctx,
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
}
