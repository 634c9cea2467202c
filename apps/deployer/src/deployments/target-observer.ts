import type { Logger } from '@ashapp/platform';
import type { DeployTarget } from '../targets/deploy-target.ts';
import { appKey, type ObservedStatus } from './deployment-requests.ts';
import type { DeploymentRunner } from './deployment-runner.ts';
import type { AppRow } from './deployments-repository.ts';

/** How long a target's answer about an app is reused by list and detail views. */
const observeTtlMs = 2000;

export interface TargetObserver {
  /**
   * What the target really runs for an app the records call live: a pod removed behind the deployer's back
   * must not be shown as "Stable, live". Not checked while a pipeline of this app runs here (it is changing).
   */
  observe(app: AppRow | undefined, reuse?: boolean): Promise<ObservedStatus | undefined>;
  /** Several apps, a few target queries at a time (each may start a podman process). */
  observeAll(apps: ReadonlyMap<string, AppRow | undefined>): Promise<Map<string, ObservedStatus | undefined>>;
}

export function createTargetObserver(options: {
  target: DeployTarget;
  runner: DeploymentRunner;
  log: Logger;
}): TargetObserver {
  const { target, runner } = options;
  /** Recent target answers per app. */
  const observed = new Map<string, { owner: string; status: ObservedStatus; at: number }>();

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

  return {
    observe,
    async observeAll(apps) {
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
    },
  };
}
