/** Boots real services as processes for tests that need them (gateway routes, end-to-end, bench). */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceNames } from '@ashapp/platform';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function serviceEntry(name: string): string {
  return path.join(repoRoot, 'apps', name, 'src', 'main.ts');
}

export function hasService(name: string): boolean {
  return existsSync(serviceEntry(name));
}

/** Port 9 (discard): nothing listens there, so a call to it fails at once. */
export const closedServiceUrl = 'http://127.0.0.1:9';

/** `<SERVICE>_URL` for every service: the started ones and the closed URL for the rest. */
export function serviceUrlEnv(services: Pick<RunningServices, 'urls'>): Record<string, string> {
  return Object.fromEntries(
    serviceNames.map((n) => [`${n.toUpperCase()}_URL`, services.urls[n] ?? closedServiceUrl]),
  );
}

export interface RunningServices {
  secret: string;
  dataDir: string;
  urls: Record<string, string>;
  processes: Record<string, ServiceProcess>;
  /** Stops the processes and keeps the data folder (to inspect its files). */
  stopProcesses(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the named services with one shared internal secret and a temp data folder. */
export async function startServices(
  names: readonly string[],
  env: Record<string, string> = {},
): Promise<RunningServices> {
  const secret = randomBytes(32).toString('base64url');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-services-'));
  const ports: Record<string, number> = {};
  for (const name of names) ports[name] = await getFreePort();
  // Services not started here point at a closed port, never at the default ports where a developer's
  // own platform may be running (a test must not talk to it).
  const urls: Record<string, string> = {
    ...Object.fromEntries(serviceNames.map((n) => [n, closedServiceUrl])),
    ...Object.fromEntries(Object.entries(ports).map(([n, p]) => [n, `http://127.0.0.1:${p}`])),
  };
  const shared: Record<string, string> = {
    INTERNAL_AUTH_SECRET: secret,
    ASHAPP_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...Object.fromEntries(Object.entries(urls).map(([n, u]) => [`${n.toUpperCase()}_URL`, u])),
    ...env,
  };
  const processes: Record<string, ServiceProcess> = {};
  try {
    for (const name of names) {
      processes[name] = await startServiceProcess({
        entry: serviceEntry(name),
        port: ports[name] ?? 0,
        env: { ...shared, [`${name.toUpperCase()}_PORT`]: String(ports[name]) },
        timeoutMs: 30_000,
      });
    }
  } catch (err) {
    for (const p of Object.values(processes)) await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    secret,
    dataDir,
    urls,
    processes,
    async stopProcesses() {
      for (const p of Object.values(processes)) await p.stop();
    },
    async stop() {
      for (const p of Object.values(processes)) await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
