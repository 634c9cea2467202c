import { createId, InputError, type Identity } from '@ashapp/platform';
import type { RequestMeta } from '@ashapp/platform';
import type { RegistrySession } from '../registry-logins/registry-logins-service.ts';
import {
  formatStrategy,
  type SourcePlan,
  type StrategyPlan,
  type WorkloadSettings,
} from './deployment-pipeline.ts';
import type { DeploymentRunner } from './deployment-runner.ts';
import type { DeployAccepted } from '@ashapp/contracts/deployer';
import type { ServiceContext } from './service-context.ts';

/** The caller's registry sign-in; the Kubernetes target cannot do without one (the cluster pulls). */
export async function readRegistry(
  ctx: ServiceContext,
  caller: Identity,
): Promise<RegistrySession | undefined> {
  const { options, target } = ctx;
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

export async function recordRequestAudit(
  ctx: ServiceContext,
  caller: Identity,
  meta: RequestMeta,
  action: string,
  data: Record<string, unknown>,
  summary: Record<string, unknown>,
) {
  await ctx.options.audit.record({
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

/** Records the deployment, audits the request and hands the pipeline to the runner: the 202's body. */
export async function startPipeline(
  ctx: ServiceContext,
  input: {
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
  },
): Promise<DeployAccepted> {
  const { repository, target, leases, options } = ctx;
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
    ctx,
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
  ctx.startLeased(input.reservation, row.id, (signal, releaseApp) =>
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
