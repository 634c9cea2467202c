import { parseAllDocuments } from 'yaml';
import { InputError } from '@ashapp/platform';
import type { KubeObject } from './render-manifests.ts';

/** Reads back a manifest this service serialized (a recorded revision), document by document. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new InputError(`manifest: ${doc.errors[0]?.message ?? 'invalid YAML'}`, { field: 'manifest' });
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const object = value as Partial<KubeObject>;
    if (
      typeof object.kind !== 'string' ||
      typeof object.apiVersion !== 'string' ||
      typeof object.metadata?.name !== 'string'
    ) {
      throw new InputError('manifest: every document needs apiVersion, kind and metadata.name', {
        field: 'manifest',
      });
    }
    objects.push(object as KubeObject);
  }
  return objects;
}
