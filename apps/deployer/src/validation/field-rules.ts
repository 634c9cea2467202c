import { InputError } from '@ashapp/platform';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

/**
 * The deployer's field rules as TypeBox schemas: what a pattern, a length, a range or an enum can say is
 * said here once, so route schemas can declare the same rule (and the OpenAPI document shows it) while
 * `checkField` gives the 400 its clear wording. What a schema cannot say (reserved suffixes, byte sizes,
 * the image reference grammar's parts, requirement lines, git URLs and refs, defaults for empty values)
 * stays in code in inputs.ts.
 *
 * `x-rule` is the sentence a 400 uses for a value that breaks the rule: JSON Schema's own messages
 * ("must match pattern ^[a-z]…$") tell a user nothing.
 */
function withRule<T extends TSchema>(schema: T, rule: string): T {
  return { ...schema, 'x-rule': rule };
}

/**
 * The longest app name: the name also becomes derived object names (`<app>-green`, `<app>-canary`,
 * `<namespace>-<app>` on podman) that must stay within the 63-character label limit.
 */
export const maxAppNameLength = 50;

/** DNS-1035 label (a Service name must start with a letter), at most 50 characters. */
export const AppNameField = withRule(
  Type.String({ minLength: 1, maxLength: maxAppNameLength, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' }),
  `must be at most ${maxAppNameLength} lowercase letters, digits and dashes, start with a letter and end with a letter or digit`,
);

/** DNS-1123 label. */
export const NamespaceField = withRule(
  Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }),
  'must be at most 63 lowercase letters, digits and dashes, starting and ending with a letter or digit',
);

const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
export const domainPattern = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
export const repositoryPattern = `${pathComponent}(?:/${pathComponent})*`;
export const tagPattern = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';

/** A repository path without registry or tag, e.g. `ashwanth01/app`. */
export const RepositoryNameField = withRule(
  Type.String({ minLength: 1, maxLength: 255, pattern: `^${repositoryPattern}$` }),
  'must be lowercase path components ([a-z0-9] separated by . _ - or /), at most 255 characters',
);

export const TagField = withRule(
  Type.String({ pattern: `^${tagPattern}$` }),
  'must be letters, digits, _ . - (not starting with . or -), at most 128 characters',
);

/** A registry host name with an optional port, e.g. `ghcr.io`, `127.0.0.1:5000` (compared lowercased). */
export const RegistryHostField = withRule(
  Type.String({ minLength: 1, maxLength: 253, pattern: `^${domainPattern}$` }),
  'must be a host name with an optional port, e.g. ghcr.io or registry.example.com:5000',
);

function integerField(minimum: number, maximum: number) {
  return withRule(Type.Integer({ minimum, maximum }), `must be between ${minimum} and ${maximum}`);
}

export const PortField = integerField(1, 65535);
/** Kubernetes only accepts NodePorts in the cluster's node-port range (30000–32767 by default). */
export const NodePortField = integerField(30000, 32767);
export const ReplicasField = (max = 20) => integerField(1, max);

export const serviceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type ServiceType = (typeof serviceTypes)[number];
export const ServiceTypeField = withRule(
  Type.Union(serviceTypes.map((t) => Type.Literal(t))),
  `must be one of ${serviceTypes.join(', ')}`,
);

export const workloadKinds = ['Deployment', 'ReplicaSet'] as const;
export type WorkloadKind = (typeof workloadKinds)[number];
export const WorkloadKindField = withRule(
  Type.Union(workloadKinds.map((k) => Type.Literal(k))),
  `must be one of ${workloadKinds.join(', ')}`,
);

/**
 * The value when it satisfies the field's schema; else a 400 naming the field and the rule:
 * `must be a string` / `must be an integer` for the wrong type, `is required` for an empty string, the
 * field's own rule sentence otherwise.
 */
export function checkField<T extends TSchema>(schema: T, value: unknown, field: string): Static<T> {
  if (Value.Check(schema, value)) return value as Static<T>;
  const fail = (message: string): never => {
    throw new InputError(`${field}: ${message}`, { field });
  };
  const type = (schema as { type?: unknown }).type;
  if (type === 'string' && typeof value !== 'string') fail('must be a string');
  if (type === 'integer' && (typeof value !== 'number' || !Number.isInteger(value)))
    fail('must be an integer');
  if (type === 'string' && value === '') fail('is required');
  return fail((schema as { 'x-rule'?: string })['x-rule'] ?? 'is not valid');
}
