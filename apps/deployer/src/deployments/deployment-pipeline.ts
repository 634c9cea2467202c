import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppError,
  NotAllowedError,
  withSpan,
  type AuditOutbox,
  type Logger,
  type RequestMeta,
} from '@ashapp/platform';
import { writeBuildContext } from '../build/dockerfile.ts';
import type { ImageBuilder } from '../build/image-builder.ts';
import { parseManifests } from '../manifests/parse-manifests.ts';
import {
  readWorkloadName,
  renderManifests,
  renderService,
  renderWorkload,
  serializeManifests,
  type Colour,
  type KubeObject,
  type ManifestSpec,
} from '../manifests/render-manifests.ts';
import type { ManifestValidator } from '../manifests/validate-manifests.ts';
import type { PythonChecker } from '../python-check/python-check.ts';
import type { RegistrySession } from '../registry-logins/registry-logins-service.ts';
import type { GitCheckout, GitSource } from '../sources/git-source.ts';
import {
  type AppRef,
  type DeployTarget,
  type RolloutEvent,
  type WorkloadRef,
} from '../targets/deploy-target.ts';
import type { KubernetesTarget } from '../targets/kubernetes-target.ts';
import {
  abortCanary,
  deployBlueGreen,
  promoteCanary,
  startCanary,
  type StrategySpec,
} from '../targets/strategies.ts';
import { readIdentityHash, readLocalName } from '../targets/resource-names.ts';
import { advertiseUrl } from '../targets/public-url.ts';
import { describeFailure, readFailureLogs } from './failure-logs.ts';
import type { ServiceType, WorkloadKind } from '../validation/inputs.ts';
import type { DeploymentEventBus } from './deployment-events.ts';
import { createDeploymentJournal, type DeploymentJournal } from './deployment-journal.ts';
import type { DeploymentState } from './deployment-states.ts';
import type { DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';
import type { HistoryRecorder } from './history-recorder.ts';

export type SourcePlan =
  | { type: 'code'; code: string; requirements?: string }
  | { type: 'git'; repoUrl: string; ref: string; imageName?: string; tag?: string }
  /** A rollback: an earlier revision's exact image and manifest. */
  | { type: 'revision'; revision: number; image: string; manifest: string };

export type StrategyPlan = { type: 'rolling' } | { type: 'blue-green' } | { type: 'canary'; percent: number };

export interface WorkloadSettings {
  kind: WorkloadKind;
  replicas: number;
  serviceType: ServiceType;
  containerPort: number;
  /** Kubernetes target only (checked when the request is accepted). */
  ingress?: ManifestSpec['ingress'];
  hpa?: ManifestSpec['hpa'];
}

export interface DeploymentPlan {
  row: DeploymentRow;
  settings: WorkloadSettings;
  strategy: StrategyPlan;
  source: SourcePlan;
  /** Captured when the request was accepted: the pipeline outlives the request (and may outlive the session). */
  registry: RegistrySession | undefined;
  meta: RequestMeta & { requestId: string };
}

export interface PipelineConfig {
  baseImage: string;
  baseImageHasRuntime: boolean;
  insecureRegistries: readonly string[];
  workDir: string;
  rolloutTimeoutMs: number;
  buildTimeoutMs: number;
  stabilityWindowMs: number;
  kubernetesHttpCheck: boolean;
  /** Host advertised in podman URLs (DEPLOYER_PUBLIC_HOST); else the host the user reached the gateway by. */
  publicHost?: string | undefined;
}

export interface PipelineDeps {
  log: Logger;
  repository: DeploymentsRepository;
  bus: DeploymentEventBus;
  builder: ImageBuilder | undefined;
  target: DeployTarget;
  checker: PythonChecker;
  git: GitSource;
  validator: ManifestValidator;
  audit: AuditOutbox;
  history: HistoryRecorder;
  config: PipelineConfig;
}

export interface DeploymentPipeline {
  /** `releaseApp` is called once the target is no longer touched, so the next deploy of the app may start. */
  run(plan: DeploymentPlan, signal: AbortSignal, releaseApp?: () => void): Promise<void>;
  /**
   * Finishes a record whose replica stopped (restart, SIGKILL, lost node: its lease lapsed): Failed if
   * nothing changed, else rolled back.
   */
  recover(row: DeploymentRow, signal: AbortSignal): Promise<void>;
}

/** A step failed for a reason worth showing as is (rollout reasons, syntax errors, HTTP checks). */
class StepError extends Error {}

export function isKubernetesTarget(target: DeployTarget): target is KubernetesTarget {
  return target.name === 'kubernetes' && 'applyService' in target;
}

/** `rolling`, `blue-green`, `canary:20` as stored in the record. */
export function formatStrategy(strategy: StrategyPlan): string {
  return strategy.type === 'canary' ? `canary:${strategy.percent}` : strategy.type;
}

export function parseStrategy(text: string): StrategyPlan {
  if (text === 'blue-green') return { type: 'blue-green' };
  const canary = /^canary:(\d+)$/.exec(text);
  if (canary) return { type: 'canary', percent: Number(canary[1]) };
  return { type: 'rolling' };
}

const ecrHost = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const repositoryComponent = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

/**
 * Where the image goes: `<registry>/<user>/<app>:r<revision>-<hash>` (Docker Hub style),
 * `<registry>/<image_name>:<tag>` for a repository source that names one (the user's explicit choice), and
 * a local-only `localhost/ashapp/<namespace>-<app>-<hash>:r<revision>` when no registry is signed in
 * (podman). The hash names the exact (owner, namespace, app) triple, so two apps never share a tag even when
 * their names join to the same text or they push with one registry account. Revision tags keep every
 * revision's image addressable for rollbacks.
 */
export function readImageName(
  plan: Pick<DeploymentPlan, 'row' | 'source' | 'registry'> & { owner: string },
): string {
  const { row, source, registry } = plan;
  const identity = { owner: plan.owner, namespace: row.namespace, appName: row.app_name };
  if (!registry)
    return `localhost/ashapp/${readLocalName(identity)}:${source.type === 'git' && source.tag ? source.tag : `r${row.revision}`}`;
  const tag =
    source.type === 'git' && source.tag ? source.tag : `r${row.revision}-${readIdentityHash(identity)}`;
  if (source.type === 'git' && source.imageName) return `${registry.registry}/${source.imageName}:${tag}`;
  const user = registry.credentials.username.toLowerCase();
  if (ecrHost.test(registry.registry) || !repositoryComponent.test(user)) {
    return `${registry.registry}/${row.app_name}:${tag}`;
  }
  return `${registry.registry}/${user}/${row.app_name}:${tag}`;
}

function describeError(err: unknown): string {
  if (err instanceof StepError) return err.message;
  if (err instanceof AppError) return err.expose ? err.message : 'internal error';
  if ((err as Error)?.name === 'AbortError') return 'stopped: the deployer is shutting down';
  return (err as Error)?.message ?? String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The deployment state machine, one pipeline per record: Initialized → Validating → Preparing → Building
 * (build, push) → Deploying (apply, follow the rollout) → Testing (HTTP check) → Monitoring (still ready after
 * a window) → Stable. A failure once the target was touched goes through Rollback (the previous live
 * revision's exact manifest re-applied, or everything removed when there was none) to RolledBack; a failure
 * before that is Failed.
 */
export function createDeploymentPipeline(deps: PipelineDeps): DeploymentPipeline {
  const { repository, target, config } = deps;

  function openJournal(row: Pick<DeploymentRow, 'id' | 'state'>, lastSeq = 0): DeploymentJournal {
    return createDeploymentJournal({ row, repository, bus: deps.bus, log: deps.log, lastSeq });
  }

  async function recordAudit(
    row: DeploymentRow,
    meta: DeploymentPlan['meta'] | undefined,
    state: DeploymentState,
    message?: string,
  ): Promise<void> {
    try {
      await deps.audit.record({
        user_id: row.user_id,
        endpoint: meta?.endpoint ?? 'deployer start-up recovery',
        action_type: `deployment.${state.toLowerCase()}`,
        request_data: {
          deployment_id: row.id,
          app_name: row.app_name,
          namespace: row.namespace,
          revision: row.revision,
          kind: row.kind,
          strategy: row.strategy,
          target: row.target,
        },
        response_summary: { state, ...(message ? { message } : {}) },
        ...(meta ? { ip_address: meta.ip, request_id: meta.requestId } : {}),
        ...(meta?.userAgent ? { user_agent: meta.userAgent } : {}),
      });
    } catch (err) {
      deps.log.error({ err, deploymentId: row.id }, 'could not record an audit event');
    }
  }

  function kubeTarget(): KubernetesTarget {
    if (!isKubernetesTarget(target))
      throw new StepError(`this strategy needs the kubernetes target, not ${target.name}`);
    return target;
  }

  function workloadRef(app: AppRef, kind: WorkloadKind, name: string): WorkloadRef {
    return { ...app, kind, name };
  }

  /** Re-applies the revision that was live before, or removes everything when there was none. */
  async function rollBack(options: {
    row: DeploymentRow;
    journal: DeploymentJournal;
    previousLive: number | null;
    strategy: StrategyPlan;
    registry: RegistrySession | undefined;
    follow: boolean;
    signal?: AbortSignal;
    owner: string;
  }): Promise<void> {
    const { row, journal } = options;
    const app: AppRef = { appName: row.app_name, namespace: row.namespace, owner: options.owner };
    const previous =
      options.previousLive !== null
        ? await repository.getRevision(row.namespace, row.app_name, options.previousLive)
        : undefined;
    if (options.strategy.type === 'canary' && isKubernetesTarget(target)) {
      const kind =
        (JSON.parse(row.request) as { settings?: { kind?: WorkloadKind } }).settings?.kind ?? 'Deployment';
      journal.log('removing the canary; the stable workload keeps serving');
      await abortCanary(target, { ...app, kind });
    }
    if (!previous?.manifest) {
      journal.log('no earlier revision to return to: removing what this deployment applied');
      await target.delete(app);
      return;
    }
    journal.log(
      `re-applying revision ${previous.revision} (${previous.image ?? 'its image'}) with its exact manifest`,
    );
    const objects = parseManifests(previous.manifest);
    const applied = await target.apply(objects, {
      namespace: row.namespace,
      owner: options.owner,
      ...(options.registry
        ? {
            registry: {
              host: options.registry.registry,
              credentials: options.registry.credentials,
              insecure: options.registry.insecure,
            },
          }
        : {}),
    });
    for (const line of applied.applied) journal.log(line);
    if (options.strategy.type === 'blue-green' && isKubernetesTarget(target)) {
      // The colour that failed is not the one the Service selects again: remove it.
      const keep = applied.workload.name;
      for (const colour of ['blue', 'green'] as const) {
        const name = readWorkloadName(row.app_name, { type: 'blue-green', colour, serviceColour: colour });
        if (name !== keep) await target.deleteWorkload(workloadRef(app, applied.workload.kind, name));
      }
    }
    if (!options.follow) return;
    const rollout = await target.followRollout(applied.workload, {
      timeoutMs: config.rolloutTimeoutMs,
      onEvent: (e) => journal.log(e.message),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!rollout.ok)
      throw new StepError(
        `revision ${previous.revision} did not come back: ${rollout.reason}: ${rollout.message}`,
      );
  }

  async function checkOverHttp(url: string, journal: DeploymentJournal, source: SourcePlan): Promise<void> {
    const httpAllowed = target.name === 'podman' || config.kubernetesHttpCheck;
    if (!httpAllowed) {
      journal.log(`HTTP check of ${url} is off for this target; the rollout's readiness result stands`);
      return;
    }
    // Pasted code is served behind the generated wrapper, whose health route answers 200 when the app runs.
    const checkUrl = source.type === 'code' ? new URL('healthz', url).toString() : url;
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
    const ok = source.type === 'code' ? status === 200 : status < 500;
    if (!ok) throw new StepError(`the new version answered ${status} on ${checkUrl}`);
  }

  async function saveHistory(
    plan: DeploymentPlan,
    journal: DeploymentJournal,
    outcome: Record<string, unknown>,
  ): Promise<void> {
    const { row, source } = plan;
    const query =
      source.type === 'revision'
        ? `rollback ${row.app_name} (${row.namespace}) to revision ${source.revision}`
        : `deploy ${row.app_name} (${row.namespace}) revision ${row.revision} from ${source.type === 'git' ? source.repoUrl : 'pasted code'}`;
    await deps.history.save({
      userId: row.user_id,
      requestId: plan.meta.requestId,
      query,
      output: JSON.stringify({
        deployment_id: row.id,
        app_name: row.app_name,
        namespace: row.namespace,
        revision: row.revision,
        state: journal.state(),
        ...outcome,
      }),
    });
  }

  return {
    async run(plan, signal, releaseApp = () => undefined) {
      const { row, settings, strategy, source } = plan;
      const journal = openJournal(row);
      const appRow = await repository.getApp(row.namespace, row.app_name);
      // The app's owner, not the caller (an admin deploying over someone's app acts on that app).
      const owner = appRow?.user_id ?? row.user_id;
      const app: AppRef = { appName: row.app_name, namespace: row.namespace, owner };
      const previousLive = appRow?.live_revision ?? null;
      const pullRegistry = plan.registry
        ? {
            host: plan.registry.registry,
            credentials: plan.registry.credentials,
            insecure: plan.registry.insecure,
          }
        : undefined;
      let changed = false;
      let image: string | undefined;
      let url: string | undefined;
      let manifest: string | undefined;
      let workDir: string | undefined;
      let checkout: GitCheckout | undefined;
      const step = async (state: DeploymentState, message?: string) => {
        signal.throwIfAborted();
        await journal.move(state, message);
        await recordAudit(row, plan.meta, state, message);
      };
      const follow = (timeoutMs = config.rolloutTimeoutMs) => ({
        timeoutMs,
        signal,
        onEvent: (e: RolloutEvent) => journal.log(e.message),
      });

      try {
        await step('Validating', `checking ${row.app_name} in ${row.namespace}`);
        let appVariable = 'app';
        let appHasHealthRoute = false;
        if (source.type === 'code') {
          journal.log("checking the code with Python's own parser");
          const check = await deps.checker.checkFlaskApp(source.code, {
            requestedPort: settings.containerPort,
          });
          if (!check.ok) {
            const { line, column, message } = check.syntaxError;
            throw new StepError(
              `code: ${message}${line !== null ? ` (line ${line}${column !== null ? `, column ${column}` : ''})` : ''}`,
            );
          }
          appVariable = check.appVariable;
          appHasHealthRoute = check.hasHealthRoute;
          journal.log(
            `Flask app object: ${check.module}:${check.appVariable}; routes: ${check.routes.join(', ') || '(none)'}`,
          );
        } else if (source.type === 'revision') {
          journal.log(`rolling back to revision ${source.revision} (${source.image})`);
        }

        await step(
          'Preparing',
          source.type === 'git' ? `cloning ${source.repoUrl} at ${source.ref}` : undefined,
        );
        let objects: KubeObject[];
        let contextDir: string | undefined;
        if (source.type === 'revision') {
          image = source.image;
          objects = parseManifests(source.manifest);
        } else {
          image = readImageName({ ...plan, owner });
          await mkdir(config.workDir, { recursive: true, mode: 0o700 });
          if (source.type === 'code') {
            workDir = await mkdtemp(join(config.workDir, 'context-'));
            await writeBuildContext({
              dir: workDir,
              code: source.code,
              ...(source.requirements !== undefined ? { requirements: source.requirements } : {}),
              appVariable,
              appHasHealthRoute,
              containerPort: settings.containerPort,
              baseImage: config.baseImage,
              runtimeInstalled: config.baseImageHasRuntime,
            });
            contextDir = workDir;
            journal.log(
              `build context written (app.py, WSGI wrapper${source.requirements ? ', requirements.txt' : ''}, Dockerfile from ${config.baseImage})`,
            );
          } else {
            checkout = await deps.git.clone({
              repoUrl: source.repoUrl,
              ref: source.ref,
              log: (line) => journal.log(line),
            });
            contextDir = checkout.dir;
            journal.log(`checked out ${source.ref} at ${checkout.commit}`);
          }
          const spec: ManifestSpec = {
            appName: row.app_name,
            namespace: row.namespace,
            image,
            kind: settings.kind,
            replicas: settings.replicas,
            serviceType: settings.serviceType,
            containerPort: settings.containerPort,
            revision: row.revision,
            ...(settings.ingress ? { ingress: settings.ingress } : {}),
            ...(settings.hpa ? { hpa: settings.hpa } : {}),
          };
          objects = renderManifests(spec);
        }
        deps.validator.assertValid(objects);
        journal.log(`manifests validated: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);

        if (contextDir !== undefined) {
          if (!deps.builder)
            throw new StepError('no image builder is available on this host (buildah or a Docker daemon)');
          await step('Building', `building ${image} with ${deps.builder.name}`);
          const built = await deps.builder.build({
            contextDir,
            image,
            log: (line) => journal.log(line),
            pull: 'missing',
            insecureRegistries: config.insecureRegistries,
            timeoutMs: config.buildTimeoutMs,
            signal,
          });
          journal.log(`built ${image} in ${(built.durationMs / 1000).toFixed(1)} s`);
          if (plan.registry) {
            journal.log(`pushing ${image} to ${plan.registry.registry}`);
            const pushed = await deps.builder.push({
              image,
              registry: plan.registry.registry,
              credentials: plan.registry.credentials,
              insecure: plan.registry.insecure,
              log: (line) => journal.log(line),
              timeoutMs: config.buildTimeoutMs,
              signal,
            });
            journal.log(
              `pushed ${image}${pushed.digest ? ` (${pushed.digest})` : ''} in ${(pushed.durationMs / 1000).toFixed(1)} s`,
            );
          } else {
            journal.log('no registry signed in: the image stays in local storage for the podman target');
          }
        }

        await step('Deploying', `${strategy.type} deploy to ${target.name}`);
        changed = true;
        let workload: WorkloadRef;
        let recorded: KubeObject[] = objects;
        const specOf = (): StrategySpec => ({
          owner,
          appName: row.app_name,
          namespace: row.namespace,
          image: image!,
          kind: settings.kind,
          replicas: settings.replicas,
          serviceType: settings.serviceType,
          containerPort: settings.containerPort,
          revision: row.revision,
        });
        if (source.type === 'revision' || strategy.type === 'rolling') {
          const applied = await target.apply(objects, {
            namespace: row.namespace,
            owner,
            ...(pullRegistry ? { registry: pullRegistry } : {}),
          });
          for (const line of applied.applied) journal.log(line);
          const rollout = await target.followRollout(applied.workload, follow());
          if (!rollout.ok) {
            // The app's own output says why (a traceback at import); gunicorn's last words do not.
            const logs = await readFailureLogs(target, applied.workload, deps.log);
            for (const line of logs?.tail ?? []) journal.log(`app: ${line}`);
            throw new StepError(
              describeFailure(`rollout failed: ${rollout.reason}: ${rollout.message}`, logs),
            );
          }
          workload = applied.workload;
        } else if (strategy.type === 'blue-green') {
          const kube = kubeTarget();
          const result = await deployBlueGreen(kube, specOf(), follow());
          if (!result.ok) throw new StepError(`rollout failed: ${result.reason}: ${result.message}`);
          journal.log(
            `Service switched to ${result.live}${result.previous ? ` (${result.previous} kept for instant rollback)` : ''}`,
          );
          const colour: Colour = result.live;
          const bg = { type: 'blue-green' as const, colour, serviceColour: colour };
          recorded = [
            renderWorkload({ ...specOf(), strategy: bg }),
            renderService({ ...specOf(), strategy: bg }),
          ];
          workload = workloadRef(app, settings.kind, readWorkloadName(row.app_name, bg));
        } else {
          const kube = kubeTarget();
          journal.log(
            `canary with ${strategy.percent}% of ${settings.replicas} replicas${previousLive !== null ? ' beside the stable version' : ''}`,
          );
          const rollout = await startCanary(kube, specOf(), strategy.percent / 100, follow());
          if (!rollout.ok)
            throw new StepError(`canary rollout failed: ${rollout.reason}: ${rollout.message}`);
          workload = workloadRef(
            app,
            settings.kind,
            readWorkloadName(row.app_name, { type: 'canary', track: 'canary' }),
          );
          const stable = { type: 'canary' as const, track: 'stable' as const };
          recorded = [
            renderWorkload({ ...specOf(), strategy: stable }),
            renderService({ ...specOf(), strategy: stable }),
          ];
        }

        await step('Testing', 'checking the new version over HTTP');
        url = (await target.readUrl(app))?.url;
        if (url) await withSpan('deploy.test', {}, checkOverHttp.bind(null, url, journal, source));
        else journal.log("the target reports no URL yet; the rollout's readiness result stands");

        await step('Monitoring', `watching for ${Math.round(config.stabilityWindowMs / 100) / 10} s`);
        await sleep(config.stabilityWindowMs, signal);
        const still = await target.followRollout(workload, follow(Math.min(config.rolloutTimeoutMs, 10_000)));
        if (!still.ok)
          throw new StepError(`the new version stopped being ready: ${still.reason}: ${still.message}`);
        if (strategy.type === 'canary' && source.type !== 'revision') {
          journal.log('canary healthy: promoting it to every replica');
          const promoted = await promoteCanary(kubeTarget(), specOf(), follow());
          if (!promoted.ok) throw new StepError(`promotion failed: ${promoted.reason}: ${promoted.message}`);
          journal.log('promoted; canary workload removed');
        }
        url = (await target.readUrl(app))?.url ?? url;
        // The check above used the local address; the user is shown one a browser elsewhere can open.
        if (url && target.name === 'podman') url = advertiseUrl(url, config.publicHost ?? plan.meta.host);
        manifest = source.type === 'revision' ? source.manifest : serializeManifests(recorded);
        await repository.setLiveRevision(row.namespace, row.app_name, row.revision);
        releaseApp();
        await journal.finish('Stable', { url: url ?? null, image, manifest });
        await recordAudit(row, plan.meta, 'Stable', url);
      } catch (err) {
        const message = describeError(err);
        if (!(err instanceof StepError || err instanceof AppError))
          deps.log.warn({ err, deploymentId: row.id }, 'deployment failed');
        journal.log(`error: ${message}`);
        // A refused apply (the name is held by another owner, or by something ASHapp did not make) wrote
        // nothing: there is nothing to roll back, and rolling back must not touch what is not ours.
        if (!changed || err instanceof NotAllowedError) {
          releaseApp();
          await journal.finish('Failed', { error: message, ...(image ? { image } : {}) });
          await recordAudit(row, plan.meta, 'Failed', message);
        } else {
          await journal.move('Rollback', message);
          await recordAudit(row, plan.meta, 'Rollback', message);
          try {
            await rollBack({
              owner,
              row,
              journal,
              previousLive,
              strategy: source.type === 'revision' ? { type: 'rolling' } : strategy,
              registry: plan.registry,
              follow: !signal.aborted,
              signal: signal.aborted ? undefined : signal,
            });
            const back = previousLive !== null ? `rolled back to revision ${previousLive}` : 'removed';
            releaseApp();
            // After the first line: a failure may go on with the app's traceback and log lines.
            const [first, ...more] = message.split('\n');
            const error = [`${first} (${back})`, ...more].join('\n');
            await journal.finish('RolledBack', { error, image: image ?? null, url: url ?? null });
            await recordAudit(row, plan.meta, 'RolledBack', back);
          } catch (rollbackErr) {
            const reason = `${message}; the rollback failed too: ${describeError(rollbackErr)}`;
            journal.log(`error: ${describeError(rollbackErr)}`);
            releaseApp();
            await journal.finish('Failed', { error: reason });
            await recordAudit(row, plan.meta, 'Failed', reason);
          }
        }
      } finally {
        if (workDir) await rm(workDir, { recursive: true, force: true });
        if (checkout) await checkout.remove();
        await journal.flush();
      }
      await saveHistory(plan, journal, { url: url ?? null, image: image ?? null });
    },

    async recover(row, signal) {
      const events = await repository.listEvents(row.id);
      const journal = openJournal(row, events.at(-1)?.seq ?? 0);
      const state = row.state as DeploymentState;
      if (['Initialized', 'Validating', 'Preparing', 'Building'].includes(state)) {
        const reason = `the deployer replica running it stopped during ${state} (its lease lapsed) before anything was changed`;
        await journal.finish('Failed', { error: reason });
        await recordAudit(row, undefined, 'Failed', reason);
        return;
      }
      const appRow = await repository.getApp(row.namespace, row.app_name);
      const owner = appRow?.user_id ?? row.user_id;
      const live = appRow?.live_revision ?? null;
      let previousLive = live;
      if (live === row.revision) {
        const earlier = (await repository.listRevisions(row.namespace, row.app_name)).find(
          (r) => r.revision < row.revision && r.state === 'Stable' && r.manifest,
        );
        previousLive = earlier?.revision ?? null;
      }
      const reason = `the deployer replica running it stopped during ${state} (its lease lapsed) while changing the target`;
      if (state !== 'Rollback') await journal.move('Rollback', reason);
      await recordAudit(row, undefined, 'Rollback', reason);
      try {
        await rollBack({
          owner,
          row,
          journal,
          previousLive,
          strategy: parseStrategy(row.strategy),
          registry: undefined,
          follow: true,
          signal,
        });
        if (previousLive !== live)
          await repository.setLiveRevision(row.namespace, row.app_name, previousLive);
        await journal.finish('RolledBack', { error: reason });
        await recordAudit(row, undefined, 'RolledBack', reason);
      } catch (err) {
        await journal.finish('Failed', { error: `${reason}; the rollback failed: ${describeError(err)}` });
        await recordAudit(row, undefined, 'Failed', describeError(err));
      } finally {
        await journal.flush();
      }
    },
  };
}
