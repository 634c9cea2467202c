import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getFreePort } from '@ashapp/platform/testing';

const execFileAsync = promisify(execFile);

export interface LocalRegistry {
  /** `127.0.0.1:<port>` (or the address given) */
  host: string;
  url: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with its own config: storage in a
 * temp folder and htpasswd (bcrypt) auth. Debian's default config is not used: its htpasswd path points
 * at a folder. Stopped by the pid this function started.
 */
export async function startLocalRegistry(
  options: {
    username?: string;
    password?: string;
    binary?: string;
    /** Address to listen on; 127.0.0.1 by default (a test bridge's host address for containers). */
    address?: string;
    /** No auth at all (a public registry: anyone pulls and pushes; the credentials are ignored). */
    anonymous?: boolean;
  } = {},
): Promise<LocalRegistry> {
  const username = options.username ?? 'ashapp';
  const password = options.password ?? `pw-${process.pid}-${Date.now()}`;
  const dir = await mkdtemp(join(tmpdir(), 'ashapp-registry-'));
  const htpasswdFile = join(dir, 'htpasswd');
  await execFileAsync('htpasswd', ['-Bbc', htpasswdFile, username, password]);
  const port = await getFreePort(options.address);
  const host = `${options.address ?? '127.0.0.1'}:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(join(dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    ...(options.anonymous
      ? []
      : ['auth:', '  htpasswd:', '    realm: ashapp-test', `    path: ${JSON.stringify(htpasswdFile)}`]),
    '',
  ].join('\n');
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, config);
  const child: ChildProcess = spawn(options.binary ?? 'docker-registry', ['serve', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(
        () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
        5000,
      );
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const url = `http://${host}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.status === (options.anonymous ? 200 : 401)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${host}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, url, username, password, stop };
}
