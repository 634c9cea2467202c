import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const kubernetesDir = path.resolve(import.meta.dirname, '../../../deploy/kubernetes');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Renders a kustomization directory with kubectl's built-in kustomize (argv, no shell). */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 32 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/**
 * Renders an overlay with extra components, as the bootstrap does on the host. Kustomize refuses absolute
 * paths, so the throw-away kustomization points at the repository relatively.
 */
export async function renderWithComponents(
  overlay: string,
  components: readonly string[],
): Promise<KubeObject[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ashapp-kustomize-'));
  try {
    const rel = (p: string) => path.relative(dir, path.join(kubernetesDir, p));
    const text = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      `  - ${rel(overlay)}`,
      'components:',
      ...components.map((c) => `  - ${rel(c)}`),
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'kustomization.yaml'), text);
    return await renderKustomization(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
