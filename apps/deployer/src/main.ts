import {
  createDatabase,
  createPlatformClient,
  createServiceAudit,
  runMigrations,
  startService,
  type Logger,
} from '@ashapp/platform';
import { buildApp } from './app.ts';
import { createBuildahBuilder } from './build/buildah-builder.ts';
import { createDockerBuilder } from './build/docker-builder.ts';
import { createKubernetesJobBuilder } from './build/kubernetes-job-builder.ts';
import { readImageRegistry, selectImageBuilder } from './build/image-builder.ts';
import { readDeployerConfig, type DeployerConfig } from './config.ts';
import { registerDeploymentStateMetric } from './deployments/deployment-metrics.ts';
import { createDeployerMigrations, type DeployerTables } from './deployments/deployments-repository.ts';
import { createManifestValidator } from './manifests/validate-manifests.ts';
import type { DeployTarget } from './targets/deploy-target.ts';
import { createBuildSandbox, type BuildSandbox } from './sandbox/build-sandbox.ts';
import { createAddressPolicy } from './sandbox/network-policy.ts';
import { createKubernetesTarget, loadKubeConfig } from './targets/kubernetes-target.ts';
import { createPodmanTarget } from './targets/podman-target.ts';
import path from 'node:path';

function createTarget(config: DeployerConfig, log: Logger): DeployTarget {
  if (config.target === 'kubernetes') {
    const kubeConfig = loadKubeConfig(config.kubeconfig);
    return createKubernetesTarget({ log, kubeConfig, validator: createManifestValidator() });
  }
  return createPodmanTarget({
    log,
    env: config.childEnv,
    stateDir: path.join(config.workDir, 'podman'),
    ...(config.publishAddress ? { hostIp: config.publishAddress } : {}),
    ...(config.containerStorage ? { storage: config.containerStorage } : {}),
  });
}

/**
 * Checked once the service listens: the check spawns tools and mounts a trial disk, which readiness does not
 * need (builds answer with what is missing themselves). Build groups of a deployer SIGKILLed mid-build
 * would otherwise stay forever (and keep running).
 */
async function checkBuildSandbox(sandbox: BuildSandbox, log: Logger): Promise<void> {
  const status = await sandbox.status();
  if (!status.ready) {
    log.warn(
      { problems: status.problems },
      'build sandbox not available: builds and clones will fail until this is fixed',
    );
    return;
  }
  try {
    const workspaces = await sandbox.sweepStaleWorkspaces();
    if (workspaces.length > 0)
      log.warn({ workspaces }, 'removed build workspaces (and their disks) a stopped deployer left behind');
    const { removed, kept } = await sandbox.sweepStaleGroups();
    if (removed.length > 0) log.warn({ removed }, 'removed build cgroups a stopped deployer left behind');
    if (kept.length > 0)
      log.info({ kept }, 'build cgroups of a live deployer or with unowned processes kept');
  } catch (err) {
    log.warn({ err }, 'could not sweep what stopped deployers left behind');
  }
}

startService({
  name: 'deployer',
  env: process.env,
  readConfig: readDeployerConfig,
  async build({ config, log }) {
    const storage = config.containerStorage ? { storage: config.containerStorage } : {};
    const addressPolicy = createAddressPolicy(config.buildAllowedCidrs);
    const sandbox: BuildSandbox | 'none' =
      config.buildSandbox === 'off'
        ? 'none'
        : createBuildSandbox({
            log,
            path: config.childEnv.PATH ?? '/usr/bin:/bin',
            policy: addressPolicy,
            limits: config.buildLimits,
            user: config.buildUser,
            storageDir: config.buildStorageDir,
          });
    // On Kubernetes, builds run as Jobs in their own namespace (ADR 0027); the deployer pod builds nothing.
    const jobBuilder = config.buildJob
      ? createKubernetesJobBuilder({
          log,
          kubeConfig: loadKubeConfig(config.kubeconfig),
          settings: config.buildJob,
          env: config.childEnv,
          tempDir: config.workDir,
        })
      : undefined;
    // Chosen as configured, not probed: a build answers for an API that is down itself. Probing the other
    // builders spawns a process: it overlaps the migrations instead of following them (it settles either
    // way; selectImageBuilder never rejects).
    const builderChoice = jobBuilder
      ? Promise.resolve(jobBuilder)
      : selectImageBuilder(config.builder, [
          createBuildahBuilder({
            log,
            env: config.childEnv,
            tempDir: config.workDir,
            sandbox,
            trustedRegistries: [readImageRegistry(config.baseImage), ...config.insecureRegistries],
            ...storage,
          }),
          // A Docker daemon builds with its own isolation, which the sandbox cannot wrap: only when it is off.
          ...(sandbox === 'none'
            ? [createDockerBuilder({ log, env: config.childEnv, tempDir: config.workDir })]
            : []),
        ]);
    const database = createDatabase<DeployerTables>({ url: config.databaseUrl });
    await runMigrations(database.db, 'deployer', createDeployerMigrations(database.dialect));
    const audit = await createServiceAudit({ service: 'deployer', config, database, log });
    if (sandbox === 'none') {
      log.warn(
        'DEPLOYER_BUILD_SANDBOX=off: repository Dockerfiles run as root with host networking, unlimited',
      );
    }
    const builder = await builderChoice;
    if (!builder)
      log.warn({ choice: config.builder }, 'no image builder available: deploys from source will fail');
    const target = createTarget(config, log);
    const { app, deployments, runner } = await buildApp({
      config,
      log,
      database,
      audit: audit.outbox,
      history: createPlatformClient(config, 'history', log),
      builder,
      target,
      sandbox,
      addressPolicy,
    });
    log.info(
      {
        builder: builder?.name ?? null,
        target: target.name,
        baseImage: config.baseImage,
        insecureRegistries: config.insecureRegistries,
      },
      'deployer configured',
    );
    audit.registerMetrics(app);
    registerDeploymentStateMetric(app.metrics.registry, database);
    audit.outbox.start();
    // Only records whose lease lapsed: another replica may be running the rest right now.
    const recovered = await deployments.recoverUnfinished();
    if (recovered > 0) log.warn({ recovered }, 'deployments whose replica stopped are being finished');
    deployments.leases.start();
    return {
      app,
      start: () => (sandbox === 'none' ? undefined : checkBuildSandbox(sandbox, log)),
      async stop() {
        // Running pipelines are stopped (their children killed) and record how they ended before we exit;
        // leases are renewed until then, so no other replica claims them meanwhile.
        await runner.stop();
        await deployments.leases.stop();
        await audit.outbox.stop();
        await database.close();
      },
    };
  },
});
