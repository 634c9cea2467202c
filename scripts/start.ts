/**
 * `npm start`: the embedded default on one machine. Builds the services (`scripts/build.ts`) and the web app
 * when their builds are missing or older than their sources, starts every service (monitor, history,
 * assistant, deployer, then the gateway) from its bundle as `node <serviceNodeOptions> apps/<name>/dist/main.js`
 * (environment: `serviceEnvironment`, unless already set) with
 * SQLite under ./data, and on Ctrl-C / SIGTERM stops them all and waits for them. The services write their
 * JSON log lines straight to this process's stdout and stderr (each line names its `service`): nothing here
 * reads or rewrites them, which cost a parse and a copy of every line of every service.
 *
 * `npm run dev` (`--dev`): the same services from their TypeScript sources through tsx, each restarted by
 * `node --watch` when a file it loaded changes, their lines prefixed with the service's name for reading
 * in a terminal; nothing is built except the web app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { serviceEnvironment, serviceNodeOptions } from './build-plan.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const devMode = process.argv.includes('--dev');
const webDir = path.join(root, 'apps', 'web');
const defaultPorts: Record<string, number> = {
  gateway: 8080,
  assistant: 8081,
  deployer: 8082,
  history: 8083,
  monitor: 8084,
};
const startOrder = ['monitor', 'history', 'assistant', 'deployer', 'gateway'];
const colours = ['36', '33', '35', '32', '34'];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

function webBuildIsCurrent(): boolean {
  const index = path.join(webDir, 'dist', 'index.html');
  if (!existsSync(index)) return false;
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) =>
    newestMtime(path.join(webDir, p)),
  );
  return statSync(index).mtimeMs >= Math.max(...sources);
}

/** Whether every service's bundle is newer than its sources, the platform kit's and the build's own. */
function serviceBuildsAreCurrent(services: string[]): boolean {
  const shared = Math.max(
    newestMtime(path.join(root, 'packages', 'platform', 'src')),
    newestMtime(path.join(root, 'scripts', 'build.ts')),
    newestMtime(path.join(root, 'scripts', 'build-plan.ts')),
    newestMtime(path.join(root, 'package-lock.json')),
  );
  return services.every((name) => {
    const bundle = path.join(root, 'apps', name, 'dist', 'main.js');
    if (!existsSync(bundle)) return false;
    const sources = Math.max(shared, newestMtime(path.join(root, 'apps', name, 'src')));
    return statSync(bundle).mtimeMs >= sources;
  });
}

function run(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

function pipeWithPrefix(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WriteStream) {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix} ${line}\n`);
  });
  stream.on('end', () => {
    if (pending) out.write(`${prefix} ${pending}\n`);
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await delay(200);
  }
  return false;
}

async function main(): Promise<void> {
  if (!webBuildIsCurrent()) {
    console.log('[start] building the web app (apps/web/dist is missing or older than its sources)');
    const code = await run('npm', ['run', 'build', '-w', '@ashapp/web']);
    if (code !== 0) console.error('[start] the web build failed; the gateway will say so on its pages');
  }

  const services = startOrder.filter((name) => existsSync(path.join(root, 'apps', name, 'src', 'main.ts')));
  if (!devMode && !serviceBuildsAreCurrent(services)) {
    console.log('[start] building the services (a bundle is missing or older than its sources)');
    const code = await run(process.execPath, [
      '--import',
      'tsx',
      'scripts/build.ts',
      '--no-web',
      ...services,
    ]);
    if (code !== 0) {
      console.error('[start] the service build failed; see above');
      process.exit(1);
    }
  }

  const env: NodeJS.ProcessEnv = {
    ...(devMode ? {} : serviceEnvironment),
    ...process.env,
    ASHAPP_DATA_DIR: process.env.ASHAPP_DATA_DIR ?? path.join(root, 'data'),
    HOST: process.env.HOST ?? '127.0.0.1',
  };
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  const stopAll = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    console.log('[start] stopping services');
    const exits = [...children.entries()].reverse().map(async ([name, child]) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.error(`[start] ${name} did not stop in 15 s; killing it`);
        child.kill('SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const width = Math.max(...services.map((s) => s.length));
  const startService = (name: string) => {
    const args = devMode
      ? ['--watch', '--import', 'tsx', path.join('apps', name, 'src', 'main.ts')]
      : [...serviceNodeOptions, path.join('apps', name, 'dist', 'main.js')];
    const child = spawn(process.execPath, args, {
      cwd: root,
      env,
      stdio: devMode ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    children.set(name, child);
    if (devMode) {
      const colour = colours[services.indexOf(name) % colours.length];
      const prefix = process.stdout.isTTY
        ? `\x1b[${colour}m${name.padEnd(width)}\x1b[0m |`
        : `${name.padEnd(width)} |`;
      pipeWithPrefix(child.stdout, prefix, process.stdout);
      pipeWithPrefix(child.stderr, prefix, process.stderr);
    }
    child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`[start] ${name} exited (${signal ?? `code ${code}`}); stopping the others`);
      // An exit listener cannot await; stopAll waits for every child and ends the process itself.
      void stopAll(1);
    });
    const port = Number(env[`${name.toUpperCase()}_PORT`] ?? defaultPorts[name]);
    const host = env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
    return waitForHealth(`http://${host}:${port}`, child, 60_000).then((healthy) => ({
      name,
      port,
      healthy,
    }));
  };
  // The services behind the gateway start side by side (audit events wait in outboxes until the monitor
  // answers); the gateway comes last, once they do.
  for (const group of [services.filter((s) => s !== 'gateway'), services.filter((s) => s === 'gateway')]) {
    const results = await Promise.all(group.map(startService));
    const unhealthy = results.find((r) => !r.healthy);
    if (unhealthy) {
      console.error(`[start] ${unhealthy.name} did not become healthy on port ${unhealthy.port}`);
      await stopAll(1);
      return;
    }
  }
  const gatewayPort = Number(env.GATEWAY_PORT ?? defaultPorts.gateway);
  console.log(`[start] running: ${services.join(', ')}`);
  console.log(`ASHapp on http://localhost:${gatewayPort}`);
}

main().catch((err: unknown) => {
  console.error(`[start] failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
