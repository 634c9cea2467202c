/**
 * Boots the platform for deployer end-to-end tests: monitor and history (as processes, via the gateway's
 * own helper), a local docker-registry with htpasswd, the Debian-package Flask base image, the deployer as
 * a process (buildah + podman on the shared test container store) and the gateway with its STS stand-in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import { serviceUrlEnv, startServices, type RunningServices } from '@ashapp/test-platform/services';
import { startStsStandIn, testUsers, type StsStandIn } from '@ashapp/aws-stand-in';
import { readStorageArgs } from '../../../apps/deployer/src/build/buildah-builder.ts';
import { runCommand } from '../../../apps/deployer/src/process/run-command.ts';
import { ensureTestBaseImage, type TestBaseImage } from '../../../apps/deployer/test/base-image.ts';
import { readTestChildEnv, readTestStorage } from '../../../apps/deployer/test/containers-env.ts';
import { startLocalRegistry, type LocalRegistry } from '../../../apps/deployer/test/local-registry.ts';
import { testBuildStorageDir } from '../../../apps/deployer/test/build-sandbox.ts';

export interface DeployerPlatform {
  gatewayUrl: string;
  registry: LocalRegistry;
  base: TestBaseImage;
  deployer: ServiceProcess;
  gateway: ServiceProcess;
  workDir: string;
  /** Bearer token of a fresh sign-in as alice (through the STS stand-in). */
  signIn(): Promise<string>;
  /** Names of containers on the test store whose name contains `fragment`. */
  listContainers(fragment: string): Promise<string[]>;
  /** Stops everything, removes what a failed test may have left running, and the temp folders. */
  stop(leftovers: { pods: string[]; images: string[] }): Promise<void>;
}

export async function startDeployerPlatform(
  options: { stabilityWindowMs?: number } = {},
): Promise<DeployerPlatform> {
  const env = readTestChildEnv();
  const storage = readTestStorage();
  const storageArgs = readStorageArgs(storage);
  const registry = await startLocalRegistry();
  let sts: StsStandIn | undefined;
  let services: RunningServices | undefined;
  let deployer: ServiceProcess | undefined;
  let gateway: ServiceProcess | undefined;
  const workDir = await mkdtemp(join(tmpdir(), 'ashapp-deployer-e2e-'));
  const stopAll = async () => {
    await gateway?.stop();
    await deployer?.stop(30_000);
    await services?.stop();
    await sts?.close();
    await registry.stop();
  };
  try {
    const base = await ensureTestBaseImage({ env, storage });
    sts = await startStsStandIn();
    services = await startServices(['monitor', 'history']);
    const deployerPort = await getFreePort();
    deployer = await startServiceProcess({
      entry: fileURLToPath(new URL('../../../apps/deployer/src/main.ts', import.meta.url)),
      port: deployerPort,
      timeoutMs: 30_000,
      env: {
        DEPLOYER_PORT: String(deployerPort),
        ASHAPP_DATA_DIR: join(workDir, 'data'),
        INTERNAL_AUTH_SECRET: services.secret,
        ...serviceUrlEnv(services),
        DEPLOYER_BUILDER: 'buildah',
        DEPLOYER_TARGET: 'podman',
        DEPLOYER_BASE_IMAGE: base.localImage,
        DEPLOYER_BASE_IMAGE_HAS_RUNTIME: 'true',
        DEPLOYER_INSECURE_REGISTRIES: registry.host,
        DEPLOYER_ALLOW_LOCAL_GIT: 'true',
        // The end-to-end tests deploy into shared namespaces, as the web page's default does.
        DEPLOYER_NAMESPACES: 'default,team-a',
        DEPLOYER_CONTAINERS_ROOT: storage.root,
        DEPLOYER_CONTAINERS_RUNROOT: storage.runroot,
        // The build user must reach its store: the temp work dir above is root's alone (0700).
        DEPLOYER_BUILD_STORAGE_DIR: testBuildStorageDir,
        DEPLOYER_STABILITY_WINDOW_MS: String(options.stabilityWindowMs ?? 1000),
        DEPLOYER_ROLLOUT_TIMEOUT_MS: '60000',
        LOG_LEVEL: 'info',
      },
    });
    const gatewayPort = await getFreePort();
    gateway = await startServiceProcess({
      entry: fileURLToPath(new URL('../../../apps/gateway/src/main.ts', import.meta.url)),
      port: gatewayPort,
      timeoutMs: 30_000,
      env: {
        GATEWAY_PORT: String(gatewayPort),
        ASHAPP_DATA_DIR: services.dataDir,
        INTERNAL_AUTH_SECRET: services.secret,
        AWS_ENDPOINT_URL_STS: sts.url,
        ...serviceUrlEnv(services),
        DEPLOYER_URL: deployer.url,
      },
    });
    const gatewayUrl = gateway.url;
    return {
      gatewayUrl,
      registry,
      base,
      deployer,
      gateway,
      workDir,
      async signIn() {
        const res = await fetch(`${gatewayUrl}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            access_key: testUsers.alice.accessKeyId,
            secret_key: testUsers.alice.secretAccessKey,
            region: 'us-east-1',
          }),
        });
        if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { token: string }).token;
      },
      async listContainers(fragment) {
        const result = await runCommand({
          command: 'podman',
          args: [...storageArgs, 'ps', '-a', '--format', '{{.Names}}'],
          env,
          timeoutMs: 60_000,
        });
        if (result.code !== 0) throw new Error(`podman ps failed: ${result.stderr}`);
        return result.stdout.split('\n').filter((n) => n.includes(fragment));
      },
      async stop(leftovers) {
        await stopAll();
        // A test that failed half-way may leave pods behind; remove them by the names it used.
        // podman kube play names pods `<namespace>-<app>-<hash>-pod…`; remove those that start with a used name.
        const pods = await runCommand({
          command: 'podman',
          args: [...storageArgs, 'pod', 'ps', '--format', '{{.Name}}'],
          env,
          timeoutMs: 60_000,
        });
        for (const pod of pods.stdout
          .split('\n')
          .filter((n) =>
            leftovers.pods.some(
              (prefix) => n.startsWith(`${prefix}-`) && /-[0-9a-f]{12}-pod(-\d+)?$/.test(n),
            ),
          )) {
          await runCommand({
            command: 'podman',
            args: [...storageArgs, 'pod', 'rm', '-f', pod],
            env,
            timeoutMs: 60_000,
          }).catch(() => undefined);
        }
        for (const image of leftovers.images) {
          await runCommand({
            command: 'buildah',
            args: [...storageArgs, 'rmi', '-f', image],
            env,
            timeoutMs: 60_000,
          }).catch(() => undefined);
        }
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
}
