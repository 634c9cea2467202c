import {
  createId,
  createSecretBox,
  createServiceApp,
  type AuditOutbox,
  type Database,
  type Logger,
  type ServiceApp,
  type ServiceClient,
} from '@ashapp/platform';
import type { ImageBuilder } from './build/image-builder.ts';
import type { DeployerConfig } from './config.ts';
import { codeLimits } from './validation/inputs.ts';
import { createDeploymentEventBus, type DeploymentEventBus } from './deployments/deployment-events.ts';
import { createDeploymentPipeline } from './deployments/deployment-pipeline.ts';
import { createDeploymentRunner, type DeploymentRunner } from './deployments/deployment-runner.ts';
import { createDeploymentStreams } from './deployments/deployment-stream.ts';
import { createDeploymentsRepository, type DeployerTables } from './deployments/deployments-repository.ts';
import { createDeploymentsService, type DeploymentsService } from './deployments/deployments-service.ts';
import { createHistoryRecorder } from './deployments/history-recorder.ts';
import { registerCapabilitiesRoutes } from './capabilities/routes.ts';
import { registerDeploymentRoutes } from './deployments/routes.ts';
import { createManifestValidator, type ManifestValidator } from './manifests/validate-manifests.ts';
import { createPythonChecker, type PythonChecker } from './python-check/python-check.ts';
import type { readEcrRegistryLogin } from './registry/ecr-sign-in.ts';
import { createRegistrySignInChecker, type RegistrySignInChecker } from './registry/registry-sign-in.ts';
import {
  createRegistryLoginsRepository,
  type RegistryLoginTables,
} from './registry-logins/registry-logins-repository.ts';
import { createRegistryLoginsService } from './registry-logins/registry-logins-service.ts';
import { registerRegistryLoginRoutes } from './registry-logins/routes.ts';
import { createGitSource, type GitSource } from './sources/git-source.ts';
import { createNamespacePolicy } from './validation/namespace-policy.ts';
import type { DeployTarget } from './targets/deploy-target.ts';
import {
  traceDeploymentPipeline,
  tracePipelineDeps,
  traceRegistrySignIn,
} from './deployments/pipeline-tracing.ts';
import type { BuildSandbox } from './sandbox/build-sandbox.ts';
import type { AddressPolicy } from './sandbox/network-policy.ts';

export type DeployerAppConfig = Pick<
  DeployerConfig,
  | 'internalAuthSecret'
  | 'encryptionKey'
  | 'insecureRegistries'
  | 'registryLoginTtlMs'
  | 'ecrEndpoint'
  | 'allowLocalGit'
  | 'python'
  | 'baseImage'
  | 'baseImageHasRuntime'
  | 'workDir'
  | 'rolloutTimeoutMs'
  | 'buildTimeoutMs'
  | 'stabilityWindowMs'
  | 'kubernetesHttpCheck'
  | 'sseHeartbeatMs'
  | 'childEnv'
  | 'namespaces'
  | 'leaseMs'
  | 'streamPollMs'
  | 'publicHost'
>;

export interface DeployerAppDeps {
  config: DeployerAppConfig;
  log: Logger;
  database: Database<DeployerTables>;
  audit: AuditOutbox;
  /** The history service: every deploy becomes an entry in the user's history. */
  history: ServiceClient;
  /** Undefined when no builder is available on this host (deploys of code then fail in Building). */
  builder: ImageBuilder | undefined;
  target: DeployTarget;
  /** Where clones (and, through the builder, builds) run; `none` only when the operator turned it off. */
  sandbox: BuildSandbox | 'none';
  /** Which addresses a repository host may resolve to (default: public ones only). */
  addressPolicy?: AddressPolicy;
  /** Defaults: the real adapters built from `config`. */
  checker?: PythonChecker;
  git?: GitSource;
  validator?: ManifestValidator;
  registryChecker?: RegistrySignInChecker;
  readEcrLogin?: typeof readEcrRegistryLogin;
  runner?: DeploymentRunner;
  bus?: DeploymentEventBus;
  /** This process among the replicas sharing the database (default: a new id per process). */
  replicaId?: string;
}

export interface DeployerApp {
  app: ServiceApp;
  deployments: DeploymentsService;
  /** Running pipelines: main stops them at shutdown; tests wait for them. */
  runner: DeploymentRunner;
}

/** The deployer's HTTP app, built from its dependencies; nothing listens, runs or is spawned until used. */
export async function buildApp(deps: DeployerAppDeps): Promise<DeployerApp> {
  const { config, log, database } = deps;
  const app = await createServiceApp({
    name: 'deployer',
    description: 'Registry sign-in, validation, image build and push, manifests, apply, rollout, rollback.',
    log,
    identitySecret: config.internalAuthSecret,
    // Pasted code (256 KiB) and requirements, JSON-escaped.
    bodyLimit: (codeLimits.appCodeBytes + codeLimits.requirementsBytes) * 2 + 64 * 1024,
    readinessChecks: [
      { name: 'database', check: () => database.ping() },
      {
        name: 'target',
        check: async () => {
          if (!(await deps.target.available())) throw new Error(`${deps.target.name} does not answer`);
        },
      },
    ],
  });
  const validator = deps.validator ?? createManifestValidator();
  const checker =
    deps.checker ??
    createPythonChecker({ python: config.python, env: { PATH: config.childEnv.PATH ?? '/usr/bin:/bin' } });
  const git =
    deps.git ??
    createGitSource({
      log,
      env: config.childEnv,
      allowLocalPaths: config.allowLocalGit,
      tempDir: config.workDir,
      sandbox: deps.sandbox,
      ...(deps.addressPolicy ? { policy: deps.addressPolicy } : {}),
    });
  const bus = deps.bus ?? createDeploymentEventBus();
  const runner = deps.runner ?? createDeploymentRunner({ log });
  const repository = createDeploymentsRepository(database);
  const registryLogins = createRegistryLoginsService({
    // The deployer's database holds the registry_logins table among its own (DeployerTables extends it).
    repository: createRegistryLoginsRepository(database as unknown as Database<RegistryLoginTables>),
    box: createSecretBox(config.encryptionKey),
    checker: traceRegistrySignIn(
      deps.registryChecker ?? createRegistrySignInChecker({ insecureRegistries: config.insecureRegistries }),
    ),
    audit: deps.audit,
    internalSecret: config.internalAuthSecret,
    insecureRegistries: config.insecureRegistries,
    ttlMs: config.registryLoginTtlMs,
    ...(config.ecrEndpoint ? { ecrEndpoint: config.ecrEndpoint } : {}),
    ...(deps.readEcrLogin ? { readEcrLogin: deps.readEcrLogin } : {}),
  });
  const pipeline = traceDeploymentPipeline(
    createDeploymentPipeline(
      tracePipelineDeps(
        {
          log,
          repository,
          bus,
          builder: deps.builder,
          target: deps.target,
          checker,
          git,
          validator,
          audit: deps.audit,
          history: createHistoryRecorder({ history: deps.history, log }),
          config,
        },
        app.metrics.registry,
      ),
    ),
  );
  const deployments = createDeploymentsService({
    log,
    repository,
    runner,
    pipeline,
    target: deps.target,
    checker,
    validator,
    registryLogins,
    audit: deps.audit,
    allowLocalGit: config.allowLocalGit,
    namespaces: createNamespacePolicy(config.namespaces),
    replicaId: deps.replicaId ?? createId(),
    leaseMs: config.leaseMs,
  });
  const streams = createDeploymentStreams({
    repository,
    bus,
    log,
    heartbeatMs: config.sseHeartbeatMs,
    pollMs: config.streamPollMs,
  });
  registerRegistryLoginRoutes(app, registryLogins);
  registerCapabilitiesRoutes(app, { builder: deps.builder, target: deps.target });
  registerDeploymentRoutes(app, { service: deployments, streams });
  return { app, deployments, runner };
}
