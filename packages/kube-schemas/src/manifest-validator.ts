import { InputError } from '@ashapp/platform';
import { checkApiRules } from './api-rules.ts';
import type { ManifestProblem } from './problems.ts';
import { createSchemaCheck } from './schema-check.ts';
import { createUnknownFieldCheck } from './unknown-fields.ts';

export interface ManifestValidator {
  /** Every problem of every object, each path prefixed with `Kind/name: `; empty when all are valid. */
  validate(objects: readonly unknown[]): ManifestProblem[];
  /** Throws an InputError (400) listing the problems when there are any. */
  assertValid(objects: readonly unknown[]): void;
}

export interface ManifestValidatorOptions {
  /**
   * `apiVersion/kind` pairs this caller accepts (e.g. the deployer applies only workloads, Services,
   * Ingresses and HPAs). Unset: any kind the Kubernetes schemas know.
   */
  allowedKinds?: readonly string[];
  /** How a refused kind is explained, after `apiVersion/kind`; default "is not allowed here". */
  refusal?: string;
}

/**
 * The one way ASHapp validates Kubernetes manifests (the deployer before it applies, the platform's own
 * kustomize output in its tests): the Kubernetes OpenAPI schemas from `kubernetes-models`, strict
 * unknown-field checking, then the API server's own rules. Throws at creation when the schemas are not
 * installed, so a missing dependency can never pass as "valid".
 *
 * @example
 * const validator = createManifestValidator({ allowedKinds: ['apps/v1/Deployment', 'v1/Service'] });
 * validator.assertValid(objects); // InputError: manifest: 1 problem(s): Deployment/app: spec.replicas must be a number
 */
export function createManifestValidator(options: ManifestValidatorOptions = {}): ManifestValidator {
  const schemas = createSchemaCheck();
  const fields = createUnknownFieldCheck();
  const allowed = options.allowedKinds ? new Set(options.allowedKinds) : undefined;
  const refusal = options.refusal ?? 'is not allowed here';

  function validateOne(object: unknown): ManifestProblem[] {
    const record =
      object && typeof object === 'object' && !Array.isArray(object)
        ? (object as Record<string, unknown>)
        : undefined;
    if (!record) return [{ path: '?', message: 'must be an object' }];
    const apiVersion = typeof record.apiVersion === 'string' ? record.apiVersion : '';
    const kind = typeof record.kind === 'string' ? record.kind : '';
    const name = (record.metadata as { name?: unknown } | undefined)?.name;
    const label = `${kind || '?'}/${typeof name === 'string' && name ? name : '?'}`;
    const prefix = (problems: ManifestProblem[]) =>
      problems.map((p) => ({ path: `${label}: ${p.path}`, message: p.message }));
    if (allowed && !allowed.has(`${apiVersion}/${kind}`))
      return prefix([{ path: 'apiVersion/kind', message: `${apiVersion}/${kind} ${refusal}` }]);
    if (!schemas.knows(apiVersion, kind))
      return prefix([{ path: 'apiVersion/kind', message: `${apiVersion}/${kind} has no Kubernetes schema` }]);
    const own = [...schemas.check(record, apiVersion, kind)];
    // Never skip the strict-field check silently: a kind without a field list is reported.
    if (fields.knows(apiVersion, kind)) own.push(...fields.check(record, apiVersion, kind));
    else
      own.push({
        path: 'apiVersion/kind',
        message: `${apiVersion}/${kind} has no field list for strict validation`,
      });
    own.push(
      ...checkApiRules(record, kind).filter(
        (p) => !own.some((o) => o.path === p.path && o.message === p.message),
      ),
    );
    return prefix(own);
  }

  function validate(objects: readonly unknown[]): ManifestProblem[] {
    return objects.flatMap(validateOne);
  }

  return {
    validate,
    assertValid(objects) {
      const problems = validate(objects);
      if (problems.length > 0) {
        const summary = problems
          .slice(0, 5)
          .map((p) => `${p.path} ${p.message}`)
          .join('; ');
        throw new InputError(`manifest: ${problems.length} problem(s): ${summary}`, {
          field: 'manifest',
          problems,
        });
      }
    },
  };
}
