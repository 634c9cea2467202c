import { createRequire } from 'node:module';
import type { ManifestProblem } from './problems.ts';

/**
 * Unknown fields, as `kubectl apply --validate=strict` (its default) and the API server's strict field
 * validation refuse them. The OpenAPI schemas do not close their objects, so this walks the field list of
 * the official client's models (@kubernetes/client-node, generated from the same OpenAPI document):
 * a typo such as `readinesProbe` would otherwise be dropped silently by the server.
 */

interface Attribute {
  baseName: string;
  type: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

export interface UnknownFieldCheck {
  knows(apiVersion: string, kind: string): boolean;
  check(object: Record<string, unknown>, apiVersion: string, kind: string): ManifestProblem[];
}

function modelName(apiVersion: string, kind: string): string {
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

export function createUnknownFieldCheck(): UnknownFieldCheck {
  // Loaded when a check is made, not when the package is imported: the client is ~80 MB of modules.
  const models = createRequire(import.meta.url)('@kubernetes/client-node') as Record<string, ModelClass | undefined>;

  function model(name: string): ModelClass | undefined {
    const cls = models[name];
    return cls && typeof cls.getAttributeTypeMap === 'function' ? cls : undefined;
  }

  function walk(type: string, value: unknown, path: string, problems: ManifestProblem[]): void {
    if (value === null || typeof value !== 'object') return;
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
      if (Array.isArray(value))
        value.forEach((item, i) => walk(array[1] ?? 'any', item, `${path}[${i}]`, problems));
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      for (const [key, item] of Object.entries(value))
        walk(map[1] ?? 'any', item, `${path}.${key}`, problems);
      return;
    }
    const cls = model(type);
    // Free-form fields (`any`, `object`, raw extensions) accept anything; wrong shapes are the schema check's job.
    if (!cls || Array.isArray(value)) return;
    const attributes = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const child = path ? `${path}.${key}` : key;
      const childType = attributes.get(key);
      if (childType === undefined) problems.push({ path: child, message: 'unknown field' });
      else walk(childType, item, child, problems);
    }
  }

  return {
    knows: (apiVersion, kind) => model(modelName(apiVersion, kind)) !== undefined,
    check(object, apiVersion, kind) {
      const problems: ManifestProblem[] = [];
      walk(modelName(apiVersion, kind), object, '', problems);
      return problems;
    },
  };
}
