import * as k8s from '@kubernetes/client-node';
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
import { readImageRegistry, selectImageBuilder } from './build/image-builder.ts';
import { readDeployerConfig, type DeployerConfig } from './config.ts';
import { registerDeploymentStateMetric } from './deployments/deployment-metrics.ts';
import { createDeployerMigrations, type DeployerTables } from './deployments/deployments-repository.ts';
import { createManifestValidator } from './manifests/validate-manifests.ts';
import type { DeployTarget } from './targets/deploy-target.ts';
import { createBuildSandbox, type BuildSandbox } from './sandbox/build-sandbox.ts';
import { createAddressPolicy } from './sandbox/network-policy.ts';
import { createKubernetesTarget } from './targets/kubernetes-target.ts';
import { createPodmanTarget } from './targets/podman-target.ts';
import path from 'node:path';

function createTarget(config: DeployerConfig, log: Logger): DeployTarget {
  if (config.target === 'kubernetes') {
    const kubeConfig = new k8s.KubeConfig();
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromCluster();
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

startService({
  name: 'deployer',
  env: process.env,
  readConfig: readDeployerConfig,
  async build({ config, log }) {
    const database = createDatabase<DeployerTables>({ url: config.databaseUrl });
    await runMigrations(database.db, 'deployer', createDeployerMigrations(database.dialect));
    const audit = await createServiceAudit({ service: 'deployer', config, database, log });
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
    if (sandbox === 'none') {
      log.warn(
        'DEPLOYER_BUILD_SANDBOX=off: repository Dockerfiles run as root with host networking, unlimited',
      );
    } else {
      const status = await sandbox.status();
      if (!status.ready)
        log.warn(
          { problems: status.problems },
          'build sandbox not available: builds and clones will fail until this is fixed',
        );
    }
    const builder = await selectImageBuilder(config.builder, [
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
