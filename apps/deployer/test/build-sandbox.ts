import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createBuildSandbox, type BuildSandbox, type SandboxLimits } from '../src/sandbox/build-sandbox.ts';
import { createAddressPolicy } from '../src/sandbox/network-policy.ts';

/** The build user `scripts/setup-build-sandbox.ts` creates (CI runs it before the tests). */
export const testBuildUser = 'ashapp-build';
/** /tmp is world-traversable; the sandbox creates its folders below with the right owner. Kept across runs. */
export const testBuildStorageDir = join(tmpdir(), 'ashapp-test-build-sandbox');

/**
 * A real build sandbox for tests, with the machine's build user and a storage folder in the temp folder
 * kept across runs (base images are handed to it once). Needs the set-up of ADR 0008. (Tests may read
 * process.env.)
 */
export function createTestBuildSandbox(options: { limits?: Partial<SandboxLimits>; allowed?: readonly string[] } = {}): BuildSandbox {
  const storageDir = testBuildStorageDir;
  mkdirSync(storageDir, { recursive: true, mode: 0o711 });
  return createBuildSandbox({
    log: pino({ level: 'silent' }),
    path: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    policy: createAddressPolicy(options.allowed ?? []),
    limits: { memoryBytes: 1024 * 1024 * 1024, cpus: 1, pids: 1024, maxFileBytes: 1024 * 1024 * 1024, maxDiskBytes: 4096 * 1024 * 1024, ...options.limits },
    user: testBuildUser,
    storageDir,
  });
}
