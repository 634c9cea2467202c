import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlink } from 'node:fs/promises';
import { runCommand } from '../src/process/run-command.ts';

/**
 * Test hosts in a network namespace the test creates: a veth pair from the host, the given addresses on
 * the far side, and a /32 route to each on the host. Servers run inside with `spawnInside`. Everything is
 * removed by `stop` (the veth goes with its namespace; the holder is killed by the pid we started).
 */
export interface TestNetwork {
  pid: number;
  spawnInside(command: string, args: string[]): ChildProcess;
  /** A TCP listener inside that counts accepted connections (and closes them at once). */
  listenInside(address: string, port: number): Promise<TestListener>;
  stop(): Promise<void>;
}

export interface TestListener {
  connections(): number;
  /** Waits (at most 3 s) until at least `count` connections were reported; returns how many there are. */
  waitForConnections(count: number): Promise<number>;
}

const counterScript = [
  'import socket, sys',
  's = socket.socket()',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  's.bind((sys.argv[1], int(sys.argv[2])))',
  's.listen(64)',
  "print('READY', flush=True)",
  'while True:',
  '    c, _ = s.accept()',
  "    print('CONN', flush=True)",
  '    c.close()',
].join('\n');

/** Resolves once the child printed `marker` on stdout; rejects when it exits first or after 10 s. */
export function waitForOutput(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no "${marker}" within 10 s: ${stderr}`)), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${marker}": ${stderr}`));
    });
  });
}

const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

async function ip(args: string[]): Promise<void> {
  const result = await runCommand({ command: 'ip', args, env, timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
}

export async function createTestNetwork(addresses: readonly string[]): Promise<TestNetwork> {
  const holder = spawn('unshare', ['--net', '--', 'cat'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  const own = await readlink('/proc/self/ns/net');
  const deadline = Date.now() + 5000;
  while (holder.pid === undefined || (await readlink(`/proc/${holder.pid}/ns/net`).catch(() => own)) === own) {
    if (Date.now() > deadline || holder.exitCode !== null) throw new Error('could not create the test network namespace');
    await new Promise((r) => setTimeout(r, 5));
  }
  const pid = holder.pid;
  const suffix = randomBytes(3).toString('hex');
  const hostSide = `ashtn${suffix}`;
  const inside = (args: string[]) => nsenterIp(pid, args);
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    }
    await ip(['link', 'del', hostSide]).catch(() => undefined);
    for (const address of addresses) await ip(['route', 'del', `${address}/32`]).catch(() => undefined);
    holder.stdin?.end();
    if (holder.exitCode === null && holder.signalCode === null) {
      const exited = new Promise((r) => holder.once('exit', r));
      holder.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid)]);
    await ip(['link', 'set', hostSide, 'up']);
    await inside(['link', 'set', 'lo', 'up']);
    await inside(['link', 'set', 'eth0', 'up']);
    for (const address of addresses) {
      await inside(['addr', 'add', `${address}/32`, 'dev', 'eth0']);
      await ip(['route', 'add', `${address}/32`, 'dev', hostSide]);
    }
    // Replies go back over the veth; the host answers ARP for its own addresses on any interface.
    await inside(['route', 'add', 'default', 'dev', 'eth0']);
  } catch (err) {
    await stop();
    throw err;
  }
  const spawnInside = (command: string, args: string[]) => {
    const child = spawn('nsenter', ['-t', String(pid), '-n', '--', command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  return {
    pid,
    spawnInside,
    async listenInside(address, port) {
      const child = spawnInside('python3', ['-u', '-c', counterScript, address, String(port)]);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const connections = () => output.split('\n').filter((l) => l === 'CONN').length;
      await waitForOutput(child, 'READY');
      const waitForConnections = async (count: number) => {
        const deadline = Date.now() + 3000;
        while (connections() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        return connections();
      };
      return { connections, waitForConnections };
    },
    stop,
  };
}

async function nsenterIp(pid: number, args: string[]): Promise<void> {
  const result = await runCommand({ command: 'nsenter', args: ['-t', String(pid), '-n', '--', 'ip', ...args], env, timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} (inside): ${result.stderr.trim()}`);
}
