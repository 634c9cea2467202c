import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createBuildSandbox, type BuildSandbox, type SandboxLimits } from '../src/sandbox/build-sandbox.ts';
import { createAddressPolicy } from '../src/sandbox/network-policy.ts';

/** A range no Debian default allocates (useradd starts at 100000 and hands out 65536 per user). */
export const testIdRange = { start: 1_700_000_000, count: 65_536 };

/**
 * A real build sandbox for tests. The subordinate id range comes from files in the temp folder, so tests
 * need the sandbox's packages (util-linux, iproute2, nftables, slirp4netns, cgroup-tools) but not the
 * machine's /etc/subuid set-up. (Tests may read process.env.)
 */
export function createTestBuildSandbox(options: { limits?: Partial<SandboxLimits>; allowed?: readonly string[] } = {}): BuildSandbox {
  const dir = join(tmpdir(), 'ashapp-test-sandbox-ids');
  mkdirSync(dir, { recursive: true });
  const line = `ashapp-test-build:${testIdRange.start}:${testIdRange.count}\n`;
  writeFileSync(join(dir, 'subuid'), line);
  writeFileSync(join(dir, 'subgid'), line);
  return createBuildSandbox({
    log: pino({ level: 'silent' }),
    path: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    policy: createAddressPolicy(options.allowed ?? []),
    limits: { memoryBytes: 1024 * 1024 * 1024, cpus: 1, pids: 1024, maxFileBytes: 1024 * 1024 * 1024, ...options.limits },
    user: 'ashapp-test-build',
    subuidFile: join(dir, 'subuid'),
    subgidFile: join(dir, 'subgid'),
  });
}
