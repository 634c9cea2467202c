import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerStorage } from '../src/build/buildah-builder.ts';

/** The project's own containers.conf (runc, no default ulimits). */
export const projectContainersConf = fileURLToPath(
  new URL('../../../deploy/podman/containers.conf', import.meta.url),
);

/**
 * The environment for buildah/podman children in tests: the runner's PATH and HOME plus the project's
 * containers.conf. (Tests may read process.env; services get theirs from config.ts.)
 */
export function readTestChildEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    CONTAINERS_CONF: projectContainersConf,
  };
}

/**
 * A container store under the temp folder shared by all deployer tests and kept across runs, so the base
 * image is built once; tests never touch the host's default store (/var/lib/containers).
 */
export function readTestStorage(): ContainerStorage {
  const base = join(tmpdir(), 'ashapp-test-containers');
  const storage = { root: join(base, 'root'), runroot: join(base, 'runroot') };
  mkdirSync(storage.root, { recursive: true });
  mkdirSync(storage.runroot, { recursive: true });
  return storage;
}
