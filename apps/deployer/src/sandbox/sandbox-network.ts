import { spawn, type ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { runCommand } from '../process/run-command.ts';
import { readHostAddresses, type AddressPolicy } from './network-policy.ts';
import { renderSandboxRuleset } from './nft-ruleset.ts';

/** Reads from a stream until it yields data or ends; bounded by `timeoutMs`. */
function waitForData(stream: Readable, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      resolve(value);
    };
    const onData = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** A process that only holds a fresh network namespace open; `cat` ends when its stdin closes. */
export async function startNamespaceHolder(
  env: Readonly<Record<string, string>>,
): Promise<{ child: ChildProcess; pid: number }> {
  const child = spawn('unshare', ['--net', '--', 'cat'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  failed.catch(() => undefined);
  const own = await readlink('/proc/self/ns/net');
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.pid !== undefined) {
      const ns = await readlink(`/proc/${child.pid}/ns/net`).catch(() => own);
      if (ns !== own) return { child, pid: child.pid };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error('could not create a network namespace for the build');
    }
    await Promise.race([new Promise((r) => setTimeout(r, 5)), failed]);
  }
}

async function inNamespace(
  env: Readonly<Record<string, string>>,
  pid: number,
  args: string[],
  input?: string,
): Promise<void> {
  const result = await runCommand({
    command: 'nsenter',
    args: ['-t', String(pid), '-n', '--', ...args],
    env,
    timeoutMs: 15_000,
    ...(input !== undefined ? { input } : {}),
  });
  if (result.code !== 0) throw new Error(`${args[0]} in the build network failed: ${result.stderr.trim()}`);
}

/** User-mode networking into the namespace: connections leave from the host as ordinary sockets. */
async function startSlirp(env: Readonly<Record<string, string>>, pid: number): Promise<ChildProcess> {
  // slirp4netns' --enable-sandbox pivots into an empty root and unmounts the old one; where "/" is a shared
  // mount its unmounts propagate to the host (measured: podman's /run/netns/* mounts vanished). So it
  // starts in its own mount namespace whose mounts are all private first.
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'slirp4netns',
      '--configure',
      '--mtu=65520',
      '--disable-host-loopback',
      '--enable-sandbox',
      '--enable-seccomp',
      '--ready-fd=3',
      '--exit-fd=4',
      String(pid),
      'tap0',
    ],
    // fd 4 is a pipe nobody writes to: slirp4netns exits when it closes, i.e. when we do.
    { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const readyFd = child.stdio[3] as Readable | null;
  const isReady = readyFd ? await waitForData(readyFd, 10_000) : false;
  if (!isReady) {
    await stopChild(child);
    throw new Error(`slirp4netns did not come up: ${stderr.trim()}`);
  }
  return child;
}

/** A build's own network: `none` is its loopback only, `outside` adds slirp4netns behind the egress rules. */
export interface BuildNetwork {
  /** The process holding the namespace (`nsenter -t <pid> -n`). */
  pid: number;
  close(): Promise<void>;
}

export async function openBuildNetwork(
  env: Readonly<Record<string, string>>,
  policy: AddressPolicy,
  network: 'outside' | 'none',
): Promise<BuildNetwork> {
  const holder = await startNamespaceHolder(env);
  let slirp: ChildProcess | undefined;
  const close = async () => {
    if (slirp) await stopChild(slirp);
    holder.child.stdin?.end();
    await stopChild(holder.child);
  };
  try {
    await inNamespace(env, holder.pid, ['ip', 'link', 'set', 'lo', 'up']);
    // Rules first, network second: no packet leaves before the rules are in place.
    const ruleset = renderSandboxRuleset({ allowed: policy.allowed, hostAddresses: readHostAddresses() });
    await inNamespace(env, holder.pid, ['nft', '-f', '-'], ruleset);
    if (network === 'outside') slirp = await startSlirp(env, holder.pid);
    return { pid: holder.pid, close };
  } catch (err) {
    await close();
    throw err;
  }
}
