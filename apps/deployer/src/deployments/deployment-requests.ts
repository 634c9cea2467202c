import { InputError, type Identity } from '@ashapp/platform';
import {
  renderService,
  renderWorkload,
  type KubeObject,
  type ManifestSpec,
} from '../manifests/render-manifests.ts';
import type { DeployTarget, TargetStatus } from '../targets/deploy-target.ts';
import { readCanaryReplicas } from '../targets/strategies.ts';
import {
  validateAppCode,
  validateDeploySettings,
  validateGitRef,
  validateGitUrl,
  validateRepositoryName,
  validateRequirements,
  validateTag,
} from '../validation/inputs.ts';
import type { NamespacePolicy } from '../validation/namespace-policy.ts';
import type { SourcePlan, StrategyPlan, WorkloadSettings } from './deployment-pipeline.ts';
import type { AppRow, DeploymentRow } from './deployments-repository.ts';
import type { DeployBody, DeploymentView } from '@ashapp/contracts/deployer';
import { readIngressAndAutoscaling } from '../manifests/ingress-autoscaling.ts';

/**
 * The pure parts of the deployments service: a deploy/preview body checked into a request, what preview
 * renders per strategy, and the views of records (with what the target really runs).
 */

export interface ParsedRequest {
  appName: string;
  namespace: string;
  settings: WorkloadSettings;
  strategy: StrategyPlan;
  source: Exclude<SourcePlan, { type: 'revision' }>;
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const appKey = (namespace: string, appName: string) => `${namespace}/${appName}`;

export function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Checks a deploy/preview body beyond its schema; each problem is a 400 naming the field. */
export function parseDeployBody(
  body: DeployBody,
  options: {
    allowLocalGit: boolean;
    target: DeployTarget;
    caller: Identity;
    namespaces: NamespacePolicy;
    purpose?: 'deploy' | 'preview';
  },
): ParsedRequest {
  const hasCode = present(body.code);
  const hasRepo = present(body.repo_url);
  if (hasCode && hasRepo)
    throw new InputError('code: give either code or repo_url, not both', { field: 'code' });
  if (!hasCode && !hasRepo)
    throw new InputError('code: pasted code or a repo_url is required', { field: 'code' });
  let source: ParsedRequest['source'];
  let derivedName: string | undefined;
  if (hasCode) {
    for (const field of ['ref', 'image_name', 'tag'] as const) {
      if (present(body[field]))
        throw new InputError(`${field}: only applies to a repository source`, { field });
    }
    const requirements = validateRequirements(body.requirements);
    source = {
      type: 'code',
      code: validateAppCode(body.code),
      ...(requirements !== undefined ? { requirements } : {}),
    };
  } else {
    if (present(body.requirements))
      throw new InputError('requirements: only applies to pasted code', { field: 'requirements' });
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
    // Checked after the fields above, so a malformed body is a 400 before any 403 about the namespace.
    namespace: options.namespaces.resolve(options.caller, body.namespace),
    settings: {
      kind: settings.kind,
      replicas: settings.replicas,
      serviceType: settings.serviceType,
      containerPort: settings.containerPort,
      ...readIngressAndAutoscaling(body, {
        target: options.target.name,
        purpose: options.purpose ?? 'deploy',
      }),
    },
    strategy,
    source,
  };
}

/** What preview shows: the objects the chosen strategy would apply for this revision. */
export function renderForStrategy(
  spec: Omit<ManifestSpec, 'strategy'>,
  strategy: StrategyPlan,
): KubeObject[] {
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

export type ObservedStatus = TargetStatus | 'unknown';

/** The record's view; `observed` is what the target runs for the app's live revision (see `observe`). */
export function toView(
  row: DeploymentRow,
  app: AppRow | undefined,
  observed: ObservedStatus | undefined,
): DeploymentView {
  const recordedLive = app !== undefined && app.deleted_at === null && app.live_revision === row.revision;
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
    // A revision whose pods are gone is not live, whatever the record says.
    live: recordedLive && observed !== 'missing' && observed !== 'foreign',
    target_status: recordedLive ? (observed ?? 'unknown') : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    finished_at: row.finished_at === null ? null : iso(row.finished_at),
  };
}

/** The stored request without pasted code: a summary of the source for the record view. */
export function describeSource(request: string): Record<string, unknown> {
  const parsed = JSON.parse(request) as {
    source?: Record<string, unknown>;
    settings?: unknown;
    strategy?: unknown;
  };
  const source = { ...(parsed.source ?? {}) };
  if (typeof source.code === 'string') {
    source.code_bytes = Buffer.byteLength(source.code, 'utf8');
    delete source.code;
  }
  return { ...source, settings: parsed.settings, strategy: parsed.strategy };
}
