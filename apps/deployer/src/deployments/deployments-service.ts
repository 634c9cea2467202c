import { ConflictError, type AuditOutbox, type Identity, type Logger } from '@ashapp/platform';
import type { KubeObject } from '../manifests/render-manifests.ts';
import type { ManifestValidator } from '../manifests/validate-manifests.ts';
import type { PythonChecker } from '../python-check/python-check.ts';
import type { RequestMeta } from '@ashapp/platform';
import type { RegistryLoginsService } from '../registry-logins/registry-logins-service.ts';
import type { DeployTarget } from '../targets/deploy-target.ts';
import type { NamespacePolicy } from '../validation/namespace-policy.ts';
import { deleteApp, previewDeploy, startDeploy, startRollback, validateCode } from './deployment-commands.ts';
import { createDeploymentLeases, type DeploymentLeases } from './deployment-leases.ts';
import type { DeploymentPipeline } from './deployment-pipeline.ts';
import {
  listDeployments,
  listRevisions,
  readDeploymentDetail,
  readVisibleDeployment,
} from './deployment-queries.ts';
import { appKey } from './deployment-requests.ts';
import type { DeploymentRunner } from './deployment-runner.ts';
import type { DeploymentRow, DeploymentsRepository } from './deployments-repository.ts';
import type {
  DeployAccepted,
  DeployBody,
  DeploymentDetail,
  DeploymentView,
  ListDeploymentsQuery,
  RevisionList,
  RollbackBody,
  ValidateBody,
  ValidationView,
} from '@ashapp/contracts/deployer';
import type { ServiceContext } from './service-context.ts';
import { createTargetObserver } from './target-observer.ts';

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
  revisions(caller: Identity, appName: string, namespace: string | undefined): Promise<RevisionList>;
  rollback(caller: Identity, appName: string, body: RollbackBody, meta: RequestMeta): Promise<DeployAccepted>;
  deleteApp(
    caller: Identity,
    appName: string,
    namespace: string | undefined,
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

/**
 * Everything behind /deployer-api/deploy and /deployer-api/deployments, one use case per function:
 * commands (validate, preview, deploy, rollback, delete) in deployment-commands.ts, reads in
 * deployment-queries.ts, recording and starting a pipeline in start-deployment.ts. This wires them to
 * the runner and the lease keeping.
 */
export function createDeploymentsService(options: DeploymentsServiceOptions): DeploymentsService {
  const { repository, runner, target } = options;

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

  const ctx: ServiceContext = {
    options,
    repository,
    runner,
    target,
    leases,
    observer: createTargetObserver({ target, runner, log: options.log }),
    startLeased,
  };

  return {
    validate: (_caller, body) => validateCode(ctx, body),
    preview: (caller, body) => previewDeploy(ctx, caller, body),
    deploy: (caller, body, meta) => startDeploy(ctx, caller, body, meta),
    list: (caller, query) => listDeployments(ctx, caller, query),
    readVisible: (caller, id) => readVisibleDeployment(ctx, caller, id),
    get: (caller, id) => readDeploymentDetail(ctx, caller, id),
    revisions: (caller, appName, namespace) => listRevisions(ctx, caller, appName, namespace),
    rollback: (caller, appName, body, meta) => startRollback(ctx, caller, appName, body, meta),
    deleteApp: (caller, appName, namespace, meta) => deleteApp(ctx, caller, appName, namespace, meta),
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
