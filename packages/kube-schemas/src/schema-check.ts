import { createRequire } from 'node:module';
import type { ManifestProblem } from './problems.ts';

/**
 * The Kubernetes OpenAPI schemas as shipped, compiled to ajv validators, by `kubernetes-models`
 * (one module per apiVersion/kind: `kubernetes-models/apps/v1/Deployment`). They check types, formats,
 * required fields and enums; they do not reject unknown fields (the OpenAPI document does not say
 * `additionalProperties: false`), which unknown-fields.ts adds.
 */

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

interface ModelInstance {
  validate(): void;
}

type ModelClass = new (data: Record<string, unknown>) => ModelInstance;

const groupVersion =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
const kindName = /^[A-Z][A-Za-z0-9]*$/;

export interface SchemaCheck {
  /** False when the schemas have no model for this apiVersion/kind. */
  knows(apiVersion: string, kind: string): boolean;
  check(object: Record<string, unknown>, apiVersion: string, kind: string): ManifestProblem[];
}

/** Turns an ajv instance path (`/spec/ports/0/port`) into the dotted form users read (`spec.ports[0].port`). */
export function formatPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const raw of parts) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^[0-9]+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

function valueAt(root: unknown, instancePath: string): unknown {
  return instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (value, key) =>
        (value as Record<string, unknown> | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')],
      root,
    );
}

function describeError(error: AjvError, root: unknown): ManifestProblem {
  switch (error.keyword) {
    case 'required':
      return {
        path: formatPath(error.instancePath, String(error.params.missingProperty)),
        message: 'is required',
      };
    case 'type': {
      const expected = String(error.params.type);
      const value = valueAt(root, error.instancePath);
      if (expected === 'integer') {
        return {
          path: formatPath(error.instancePath),
          message: typeof value === 'number' ? 'must be an integer' : 'must be a number',
        };
      }
      const names: Record<string, string> = {
        string: 'a string',
        boolean: 'true or false',
        number: 'a number',
        object: 'an object',
        array: 'a list',
      };
      return { path: formatPath(error.instancePath), message: `must be ${names[expected] ?? expected}` };
    }
    case 'enum':
      return {
        path: formatPath(error.instancePath),
        message: `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`,
      };
    default:
      return { path: formatPath(error.instancePath), message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * Loads the schemas once. Throws when `kubernetes-models` is missing: validation must never silently pass
 * because the schemas were not installed.
 */
export function createSchemaCheck(options: { modelsPackage?: string } = {}): SchemaCheck {
  const modelsPackage = options.modelsPackage ?? 'kubernetes-models';
  const require = createRequire(import.meta.url);
  try {
    require.resolve(`${modelsPackage}/apps/v1/Deployment`);
  } catch (err) {
    throw new Error(
      `the Kubernetes schemas (npm package ${modelsPackage}) are not installed; run npm ci: ${(err as Error).message}`,
    );
  }
  const models = new Map<string, ModelClass | undefined>();

  function load(apiVersion: string, kind: string): ModelClass | undefined {
    const key = `${apiVersion}/${kind}`;
    if (models.has(key)) return models.get(key);
    let found: ModelClass | undefined;
    // Both parts are checked against the API's own name rules first, so they cannot leave the package.
    if (groupVersion.test(apiVersion) && kindName.test(kind)) {
      try {
        const mod = require(`${modelsPackage}/${key}`) as Record<string, unknown>;
        const candidate = mod[kind];
        if (typeof candidate === 'function') found = candidate as ModelClass;
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' &&
          (err as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED'
        )
          throw err;
      }
    }
    models.set(key, found);
    return found;
  }

  return {
    knows: (apiVersion, kind) => load(apiVersion, kind) !== undefined,
    check(object, apiVersion, kind) {
      const Model = load(apiVersion, kind);
      if (!Model)
        return [{ path: 'apiVersion/kind', message: `${apiVersion}/${kind} has no Kubernetes schema` }];
      try {
        new Model(object).validate();
        return [];
      } catch (err) {
        const errors = (err as { errors?: AjvError[] }).errors;
        if (!Array.isArray(errors)) throw err;
        // The API server decodes base64 with Go's decoder, which skips line breaks; kustomize wraps long
        // Secret values over several lines. Only a value that is not base64 without them is wrong.
        const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
        const wrappedBase64 = (e: AjvError) => {
          const value = valueAt(object, e.instancePath);
          return (
            e.keyword === 'format' &&
            e.params.format === 'byte' &&
            typeof value === 'string' &&
            base64.test(value.replace(/[\r\n]/g, ''))
          );
        };
        errors.splice(0, errors.length, ...errors.filter((e) => !wrappedBase64(e)));
        const problems = errors.map((e) => describeError(e, object));
        // A wrong type also fails the type's format (int32 …); the type error says it already.
        const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
        return problems.filter(
          (_, i) => !(errors[i]?.keyword === 'format' && typed.has(errors[i]?.instancePath ?? '')),
        );
      }
    },
  };
}
