/**
 * The whole platform for tests that span services: the five services as processes (SQLite in a temp folder,
 * one shared internal secret), the AWS stand-in answering STS for sign-in and the assistant's AWS calls, and
 * signed-in bearer tokens. Callers add or override variables (`env`) and choose the services (`services`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const standInUser = {
  accessKeyId: 'AKIASTANDINPLATFORM1',
  secretAccessKey: 'platform-test-secret-key-000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  userId: 'AIDAPLATFORMTEST0001',
};

export const platformServices = ['monitor', 'history', 'assistant', 'deployer', 'gateway'] as const;
export type PlatformService = (typeof platformServices)[number];

export interface WholePlatform {
  readonly secret: string;
  readonly urls: Record<PlatformService, string>;
  readonly processes: Record<PlatformService, ServiceProcess>;
  readonly standIn: AwsStandIn;
  /** A bearer token of a fresh sign-in. */
  signIn(): Promise<string>;
  /** Resident memory of each service process, in bytes (Linux /proc). */
  readRss(): Record<PlatformService, number>;
  stop(): Promise<void>;
}

function readRssBytes(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

export interface WholePlatformOptions {
  /** Variables for every service, on top of (and overriding) the defaults below. */
  readonly env?: Record<string, string>;
}

async function reservePorts(names: readonly PlatformService[]): Promise<Record<PlatformService, number>> {
  const servers = await Promise.all(
    names.map(
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return Object.fromEntries(names.map((name, index) => [name, ports[index] as number])) as Record<
    PlatformService,
    number
  >;
}

export async function startWholePlatform(options: WholePlatformOptions = {}): Promise<WholePlatform> {
  const secret = randomBytes(32).toString('base64url');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ashapp-platform-'));
  const standIn = await startAwsStandIn({ users: [standInUser], buckets: ['attack-assets'] });
  // One port at a time, each held until all are chosen: a port freed a moment ago is not handed out twice.
  const ports = await reservePorts(platformServices);
  const urls = Object.fromEntries(platformServices.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<
    PlatformService,
    string
  >;
  const shared: Record<string, string> = {
    INTERNAL_AUTH_SECRET: secret,
    ASHAPP_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...Object.fromEntries(platformServices.map((s) => [`${s.toUpperCase()}_URL`, urls[s]])),
    AWS_ENDPOINT_URL_STS: standIn.url,
    ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
    AWS_CLI_PATH: '/usr/bin/aws',
    // Nothing a test deploys by accident pulls an image from the network.
    DEPLOYER_BASE_IMAGE: 'localhost/ashapp-test-base-that-does-not-exist:1',
    // Who may sign in: the stand-in's account only (a non-loopback listen address would require it).
    SIGN_IN_ALLOWED_ACCOUNTS: standInUser.account,
    ...options.env,
  };
  const processes: Partial<Record<PlatformService, ServiceProcess>> = {};
  const stop = async () => {
    for (const name of [...platformServices].reverse()) await processes[name]?.stop(20_000);
    await standIn.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    for (const name of platformServices) {
      processes[name] = await startServiceProcess({
        entry: path.join(repoRoot, 'apps', name, 'src', 'main.ts'),
        port: ports[name],
        env: { ...shared, [`${name.toUpperCase()}_PORT`]: String(ports[name]) },
        timeoutMs: 60_000,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const running = processes as Record<PlatformService, ServiceProcess>;
  return {
    secret,
    urls,
    processes: running,
    standIn,
    async signIn() {
      const res = await fetch(`${urls.gateway}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          access_key: standInUser.accessKeyId,
          secret_key: standInUser.secretAccessKey,
          region: 'us-east-1',
        }),
      });
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    readRss() {
      return Object.fromEntries(
        platformServices.map((s) => [s, readRssBytes(running[s].child.pid)]),
      ) as Record<PlatformService, number>;
    },
    stop,
  };
}
