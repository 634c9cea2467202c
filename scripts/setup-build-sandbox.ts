/**
 * Prepares a host for the deployer's build sandbox (ADR 0008). Run once as root:
 *
 *   node --import tsx scripts/setup-build-sandbox.ts [--user ashapp-build] [--storage DIR] [--check]
 *
 * 1. installs the Debian packages the sandbox runs (util-linux, iproute2, nftables, slirp4netns,
 *    cgroup-tools, uidmap) when they are missing;
 * 2. creates the system user whose subordinate ids root inside a build maps to (no login, no home);
 * 3. gives it 65536 subordinate uids and gids in /etc/subuid and /etc/subgid, after every range in use;
 * 4. asks the sandbox itself whether it can run here (creating the user's storage folder, by default
 *    the deployer's `data/deployer-work/build-sandbox`) and prints what is still missing.
 *
 * `--check` changes nothing and only reports. Exits non-zero when the sandbox cannot run.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createBuildSandbox, sandboxTools } from '../apps/deployer/src/sandbox/build-sandbox.ts';
import { createAddressPolicy } from '../apps/deployer/src/sandbox/network-policy.ts';

const run = promisify(execFile);
const args = process.argv.slice(2);
const userIndex = args.indexOf('--user');
const user = userIndex >= 0 ? (args[userIndex + 1] ?? '') : 'ashapp-build';
const checkOnly = args.includes('--check');
const storageIndex = args.indexOf('--storage');
const storageDir = resolve(
  storageIndex >= 0
    ? (args[storageIndex + 1] ?? '')
    : fileURLToPath(new URL('../data/deployer-work/build-sandbox', import.meta.url)),
);
const path = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const rangeSize = 65_536;

if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
  console.error(`not a valid user name: "${user}"`);
  process.exit(2);
}

async function has(command: string): Promise<boolean> {
  try {
    await run('which', [command], { env: { PATH: path } });
    return true;
  } catch {
    return false;
  }
}

async function readRanges(file: string): Promise<Array<{ name: string; start: number; count: number }>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.trim().split(':'))
    .filter((parts) => parts.length === 3 && /^\d+$/.test(parts[1] ?? '') && /^\d+$/.test(parts[2] ?? ''))
    .map(([name, start, count]) => ({ name: name ?? '', start: Number(start), count: Number(count) }));
}

async function setUp(): Promise<void> {
  const missing: string[] = [];
  for (const tool of sandboxTools) if (!(await has(tool.name))) missing.push(tool.from);
  const packages = [...new Set(missing)];
  if (packages.length > 0) {
    console.log(`installing ${packages.join(' ')}`);
    await run('apt-get', ['install', '-y', '-q', ...packages], {
      env: { PATH: path, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const exists = await run('id', ['-u', user], { env: { PATH: path } }).then(
    () => true,
    () => false,
  );
  if (!exists) {
    console.log(`creating system user ${user}`);
    await run(
      'useradd',
      ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', user],
      { env: { PATH: path } },
    );
  }
  const uids = await readRanges('/etc/subuid');
  const gids = await readRanges('/etc/subgid');
  const hasUids = uids.some((r) => r.name === user && r.count >= rangeSize);
  const hasGids = gids.some((r) => r.name === user && r.count >= rangeSize);
  if (!hasUids || !hasGids) {
    // After every range in use, so no other user's (or a rootless podman's) ids overlap the builds'.
    const end = Math.max(100_000, ...[...uids, ...gids].map((r) => r.start + r.count));
    const range = `${end}-${end + rangeSize - 1}`;
    console.log(`giving ${user} subordinate ids ${range}`);
    await run(
      'usermod',
      [...(hasUids ? [] : ['--add-subuids', range]), ...(hasGids ? [] : ['--add-subgids', range]), user],
      { env: { PATH: path } },
    );
  }
}

if (!checkOnly) {
  if (process.getuid?.() !== 0) {
    console.error(
      'run as root (it installs packages, adds a system user and edits /etc/subuid and /etc/subgid)',
    );
    process.exit(2);
  }
  await setUp();
}

const sandbox = createBuildSandbox({
  log: pino({ level: 'silent' }),
  path,
  policy: createAddressPolicy(),
  limits: { memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256, maxFileBytes: 64 * 1024 * 1024, maxDiskBytes: 256 * 1024 * 1024 },
  user,
  storageDir,
});
const status = await sandbox.status();
if (status.ready) {
  const probe = await sandbox.run({
    command: 'true',
    args: [],
    env: { PATH: path },
    timeoutMs: 30_000,
    network: 'outside',
    asUser: true,
  });
  if (probe.code !== 0) {
    console.error(`the sandbox is configured but a trial run failed: ${probe.stderr.trim()}`);
    process.exit(1);
  }
  const { uid, uids } = status.user;
  console.log(
    `build sandbox ready: root in builds is uid ${uid} outside, other ids ${uids.start}-${uids.start + uids.count - 1}; storage in ${storageDir}`,
  );
} else {
  console.error(`build sandbox not ready:\n- ${status.problems.join('\n- ')}`);
  process.exit(1);
}
