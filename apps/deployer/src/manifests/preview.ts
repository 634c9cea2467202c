import {
  renderManifests,
  serializeManifests,
  type KubeObject,
  type ManifestSpec,
} from './render-manifests.ts';
import type { ManifestValidator } from './validate-manifests.ts';

export interface ManifestPreview {
  objects: KubeObject[];
  yaml: string;
}

/** Renders, validates against the Kubernetes schemas and serializes, without any cluster. */
export function previewManifests(spec: ManifestSpec, validator: ManifestValidator): ManifestPreview {
  const objects = renderManifests(spec);
  validator.assertValid(objects);
  return { objects, yaml: serializeManifests(objects) };
}
