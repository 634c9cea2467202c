import { withSpan } from '@ashapp/platform';
import { serializeManifests } from '../../manifests/render-manifests.ts';
import { advertiseUrl } from '../../targets/public-url.ts';
import type { DeployedRelease } from './deploy-strategies.ts';
import { promoteIfCanary } from './deploy-strategies.ts';
import type { PreparedRelease } from './prepare-stages.ts';
import { StepError } from './pipeline-types.ts';
import { sleep, type RunContext } from './run-context.ts';

/**
 * GETs the URL the target reports. Pasted code must answer 200 on the generated wrapper's health route;
 * a repository's app anything below 500. On Kubernetes the URL may be unreachable from the deployer (node
 * address, in-cluster DNS): then the rollout's readiness result stands.
 */
async function checkOverHttp(ctx: RunContext, url: string): Promise<void> {
  const { target, config } = ctx.deps;
  const { journal } = ctx;
  const fromCode = ctx.plan.source.type === 'code';
  if (target.name !== 'podman' && !config.kubernetesHttpCheck) {
    journal.log(`HTTP check of ${url} is off for this target; the rollout's readiness result stands`);
    return;
  }
  const checkUrl = fromCode ? new URL('healthz', url).toString() : url;
  let status: number;
  try {
    const res = await fetch(checkUrl, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
    await res.body?.cancel();
    status = res.status;
  } catch (err) {
    if (target.name === 'kubernetes') {
      journal.log(
        `${checkUrl} is not reachable from the deployer (${(err as Error).message}); the rollout's readiness result stands`,
      );
      return;
    }
    throw new StepError(`the new version does not answer on ${checkUrl}: ${(err as Error).message}`);
  }
  journal.log(`GET ${checkUrl} → ${status}`);
  if (fromCode ? status !== 200 : status >= 500)
    throw new StepError(`the new version answered ${status} on ${checkUrl}`);
}

/** Testing: answers the URL the target reported, if any. */
export async function testRelease(ctx: RunContext): Promise<string | undefined> {
  await ctx.step('Testing', 'checking the new version over HTTP');
  const url = (await ctx.deps.target.readUrl(ctx.app))?.url;
  if (url) await withSpan('deploy.test', {}, () => checkOverHttp(ctx, url));
  else ctx.journal.log("the target reports no URL yet; the rollout's readiness result stands");
  return url;
}

/** Monitoring: still ready after the stability window; a canary is promoted only then. */
export async function monitorRelease(
  ctx: RunContext,
  release: PreparedRelease,
  deployed: DeployedRelease,
): Promise<void> {
  const { target, config } = ctx.deps;
  await ctx.step('Monitoring', `watching for ${Math.round(config.stabilityWindowMs / 100) / 10} s`);
  await sleep(config.stabilityWindowMs, ctx.signal);
  const still = await target.followRollout(
    deployed.workload,
    ctx.follow(Math.min(config.rolloutTimeoutMs, 10_000)),
  );
  if (!still.ok)
    throw new StepError(`the new version stopped being ready: ${still.reason}: ${still.message}`);
  await promoteIfCanary(ctx, release);
}

/** Stable: the revision becomes the app's live one, with the URL a browser elsewhere can open. */
export async function finishStable(
  ctx: RunContext,
  release: PreparedRelease,
  deployed: DeployedRelease,
  testedUrl: string | undefined,
  releaseApp: () => void,
): Promise<string | undefined> {
  const { target, config, repository } = ctx.deps;
  const { row, source, meta } = ctx.plan;
  let url = (await target.readUrl(ctx.app))?.url ?? testedUrl;
  // The check above used the local address; the user is shown one a browser elsewhere can open.
  if (url && target.name === 'podman') url = advertiseUrl(url, config.publicHost ?? meta.host);
  const manifest = source.type === 'revision' ? source.manifest : serializeManifests(deployed.recorded);
  await repository.setLiveRevision(row.namespace, row.app_name, row.revision);
  releaseApp();
  await ctx.journal.finish('Stable', { url: url ?? null, image: release.image, manifest });
  return url;
}
