import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface TemporaryAuthFile {
  /** `auth.json` in containers-auth.json(5) format, which buildah, podman and skopeo read with --authfile. */
  path: string;
  /** Folder holding the file; also a valid Docker `--config` folder (it holds a `config.json` twin). */
  dir: string;
  remove(): Promise<void>;
}

/** The text of an auth file (containers-auth.json(5), also Docker's config.json) for these registries. */
export function renderAuthFile(
  entries: ReadonlyArray<{ registry: string; credentials: RegistryCredentials }>,
): string {
  const auths: Record<string, { auth: string }> = {};
  for (const { registry, credentials } of entries) {
    auths[registry] = {
      auth: Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64'),
    };
  }
  return JSON.stringify({ auths });
}

/**
 * Writes registry credentials to a private temporary file (folder 0700, file 0600) so they reach a child
 * as a file path instead of a command-line argument everyone on the host could read in `ps`.
 * The caller must `remove()` it when the child is done (use try/finally).
 */
export async function writeTemporaryAuthFile(
  entries: ReadonlyArray<{ registry: string; credentials: RegistryCredentials }>,
  options: { parentDir?: string } = {},
): Promise<TemporaryAuthFile> {
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'ashapp-auth-'));
  const body = renderAuthFile(entries);
  const path = join(dir, 'auth.json');
  await writeFile(path, body, { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, 'config.json'), body, { mode: 0o600, flag: 'wx' });
  return {
    path,
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn` with a temporary auth file and removes it afterwards, whatever happens. */
export async function withTemporaryAuthFile<T>(
  entries: ReadonlyArray<{ registry: string; credentials: RegistryCredentials }>,
  fn: (file: TemporaryAuthFile) => Promise<T>,
  options: { parentDir?: string } = {},
): Promise<T> {
  const file = await writeTemporaryAuthFile(entries, options);
  try {
    return await fn(file);
  } finally {
    await file.remove();
  }
}
