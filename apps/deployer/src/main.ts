import * as k8s from '@kubernetes/client-node';
import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createLogger,
  createPlatformClient,
  runMigrations,
  runMain,
  runService,
  type Logger,
} from '@ashapp/platform';
import { buildApp } from './app.ts';
import { createBuildahBuilder } from './build/buildah-builder.ts';
import { createDockerBuilder } from './build/docker-builder.ts';
import { selectImageBuilder } from './build/image-builder.ts';
import { readDeployerConfig, type DeployerConfig } from './config.ts';
import { createDeployerMigrations, type DeployerTables } from './deployments/deployments-repository.ts';
import { createManifestValidator } from './manifests/validate-manifests.ts';
import type { DeployTarget } from './targets/deploy-target.ts';
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

async function main(): Promise<void> {
  const config = readDeployerConfig(process.env);
  const log = createLogger({ name: 'deployer', level: config.logLevel });
  const database = createDatabase<DeployerTables>({ url: config.databaseUrl });
  await runMigrations(database.db, 'deployer', createDeployerMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const client = (name: 'monitor' | 'history') => createPlatformClient(config, name, log);
  const audit = createAuditOutbox({ database, service: 'deployer', monitor: client('monitor'), log });
  const storage = config.containerStorage ? { storage: config.containerStorage } : {};
  const builder = await selectImageBuilder(config.builder, [
    createBuildahBuilder({ log, env: config.childEnv, tempDir: config.workDir, ...storage }),
    createDockerBuilder({ log, env: config.childEnv, tempDir: config.workDir }),
  ]);
  if (!builder)
    log.warn({ choice: config.builder }, 'no image builder available: deploys from source will fail');
  const target = createTarget(config, log);
  const { app, deployments, runner } = await buildApp({
    config,
    log,
    database,
    audit,
    history: client('history'),
    builder,
    target,
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
  audit.start();
  const recovered = await deployments.recoverUnfinished();
  if (recovered > 0)
    log.warn({ recovered }, 'deployments left running by a previous process are being finished');
  const { stopped } = await runService({
    app,
    host: config.host,
    port: config.port,
    log,
    onShutdown: async () => {
      // Running pipelines are stopped (their children killed) and record how they ended before we exit.
      await runner.stop();
      await audit.stop();
      await database.close();
    },
  });
  await stopped;
}

runMain('deployer', main);
