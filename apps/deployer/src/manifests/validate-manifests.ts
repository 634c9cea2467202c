import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { InputError } from '@ashapp/platform';
import type { KubeObject } from './render-manifests.ts';

/**
 * Validates manifests against the Kubernetes API schemas shipped in @kubernetes/client-node: its models
 * are generated from the Kubernetes OpenAPI document (v1.34), and each carries the field names, types and
 * formats (`attributeTypeMap`); required fields are the non-optional properties of the model's typings.
 * On top of the schema come the rules the API server enforces that a schema cannot say (names, labels,
 * selectors matching templates, port ranges, enums) for the kinds the deployer emits.
 */

export interface ManifestProblem {
  /** e.g. `Deployment/app: spec.template.spec.containers[0].ports[0].containerPort` */
  path: string;
  message: string;
}

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

const rootModels: Record<string, string> = {
  'apps/v1/Deployment': 'V1Deployment',
  'apps/v1/ReplicaSet': 'V1ReplicaSet',
  'v1/Service': 'V1Service',
  'v1/Pod': 'V1Pod',
  'networking.k8s.io/v1/Ingress': 'V1Ingress',
  'autoscaling/v2/HorizontalPodAutoscaler': 'V2HorizontalPodAutoscaler',
};

const enums: Record<string, Record<string, readonly string[]>> = {
  V1ServiceSpec: { type: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
  V1ServicePort: { protocol: ['TCP', 'UDP', 'SCTP'] },
  V1ContainerPort: { protocol: ['TCP', 'UDP', 'SCTP'] },
  V1Container: { imagePullPolicy: ['Always', 'IfNotPresent', 'Never'] },
  V1DeploymentStrategy: { type: ['RollingUpdate', 'Recreate'] },
  V1HTTPIngressPath: { pathType: ['Exact', 'Prefix', 'ImplementationSpecific'] },
  V1SeccompProfile: { type: ['RuntimeDefault', 'Unconfined', 'Localhost'] },
  V1PodSpec: { restartPolicy: ['Always', 'OnFailure', 'Never'] },
};

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ianaSvcName = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const quantity = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

export interface ManifestValidator {
  validate(objects: readonly KubeObject[]): ManifestProblem[];
  /** Throws an InputError listing the problems when there are any. */
  assertValid(objects: readonly KubeObject[]): void;
}

export function createManifestValidator(): ManifestValidator {
  const modelsDir = join(dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')), 'gen', 'models');
  const models = k8s as unknown as Record<string, ModelClass | undefined>;
  // Per-validator caches: reading typings once per model, not per object.
  const requiredCache = new Map<string, Set<string>>();

  function readRequired(model: string): Set<string> {
    let found = requiredCache.get(model);
    if (!found) {
      found = new Set<string>();
      try {
        const typings = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8');
        for (const m of typings.matchAll(/^ {4}'([A-Za-z0-9_$]+)': /gm)) if (m[1]) found.add(m[1]);
      } catch {
        // A model without typings has no required fields we can know about.
      }
      requiredCache.set(model, found);
    }
    return found;
  }

  function checkValue(type: string, format: string, value: unknown, path: string, problems: ManifestProblem[]): void {
    if (value === null || value === undefined) return;
    const arrayMatch = /^Array<(.+)>$/.exec(type);
    const mapMatch = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (arrayMatch) {
      if (!Array.isArray(value)) return void problems.push({ path, message: 'must be a list' });
      value.forEach((item, i) => checkValue(arrayMatch[1] ?? 'any', '', item, `${path}[${i}]`, problems));
      return;
    }
    if (mapMatch) {
      if (typeof value !== 'object' || Array.isArray(value)) return void problems.push({ path, message: 'must be a map' });
      for (const [key, item] of Object.entries(value)) checkValue(mapMatch[1] ?? 'any', '', item, `${path}.${key}`, problems);
      return;
    }
    switch (type) {
      case 'any':
        return;
      case 'string':
      case 'Date':
        if (typeof value !== 'string') problems.push({ path, message: 'must be a string' });
        return;
      case 'boolean':
        if (typeof value !== 'boolean') problems.push({ path, message: 'must be true or false' });
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) return void problems.push({ path, message: 'must be a number' });
        if ((format === 'int32' || format === 'int64') && !Number.isInteger(value)) problems.push({ path, message: 'must be an integer' });
        if (format === 'int32' && (value < -2147483648 || value > 2147483647)) problems.push({ path, message: 'is out of int32 range' });
        return;
      case 'IntOrString':
        if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
          problems.push({ path, message: 'must be an integer or a string' });
        }
        return;
      default:
        checkModel(type, value, path, problems);
    }
  }

  function checkModel(model: string, value: unknown, path: string, problems: ManifestProblem[]): void {
    const cls = models[model];
    if (!cls || typeof cls.getAttributeTypeMap !== 'function') {
      problems.push({ path, message: `schema ${model} is unknown` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ path, message: 'must be an object' });
      return;
    }
    const attributes = cls.getAttributeTypeMap();
    const byName = new Map(attributes.map((a) => [a.baseName, a]));
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!byName.has(key)) problems.push({ path: path ? `${path}.${key}` : key, message: 'unknown field' });
    }
    for (const attribute of attributes) {
      const child = path ? `${path}.${attribute.baseName}` : attribute.baseName;
      const fieldValue = record[attribute.baseName];
      if (fieldValue === undefined) {
        if (readRequired(model).has(attribute.name)) problems.push({ path: child, message: 'is required' });
        continue;
      }
      checkValue(attribute.type, attribute.format, fieldValue, child, problems);
      const allowed = enums[model]?.[attribute.baseName];
      if (allowed && typeof fieldValue === 'string' && !allowed.includes(fieldValue)) {
        problems.push({ path: child, message: `must be one of ${allowed.join(', ')}` });
      }
    }
  }

  function checkLabels(labels: unknown, path: string, problems: ManifestProblem[]): void {
    if (!labels || typeof labels !== 'object') return;
    for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
      const slash = key.lastIndexOf('/');
      const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
      const name = slash >= 0 ? key.slice(slash + 1) : key;
      if ((prefix !== undefined && !dns1123Subdomain.test(prefix)) || name.length > 63 || !labelName.test(name)) {
        problems.push({ path: `${path}.${key}`, message: 'is not a valid label key' });
      }
      if (typeof value !== 'string' || value.length > 63 || !labelValue.test(value)) {
        problems.push({ path: `${path}.${key}`, message: 'is not a valid label value' });
      }
    }
  }

  function checkPodSpec(pod: Record<string, unknown> | undefined, path: string, problems: ManifestProblem[]): void {
    const containers = (pod?.containers ?? []) as Array<Record<string, unknown>>;
    if (containers.length === 0) problems.push({ path: `${path}.containers`, message: 'must have at least one container' });
    containers.forEach((c, i) => {
      const cp = `${path}.containers[${i}]`;
      if (typeof c.name === 'string' && !dns1123Label.test(c.name)) problems.push({ path: `${cp}.name`, message: 'must be a DNS-1123 label' });
      if (typeof c.image === 'string' && c.image.trim() === '') problems.push({ path: `${cp}.image`, message: 'must not be empty' });
      ((c.ports ?? []) as Array<Record<string, unknown>>).forEach((p, j) => {
        const port = p.containerPort;
        if (typeof port === 'number' && (port < 1 || port > 65535)) problems.push({ path: `${cp}.ports[${j}].containerPort`, message: 'must be between 1 and 65535' });
        if (typeof p.name === 'string' && (p.name.length > 15 || !ianaSvcName.test(p.name))) problems.push({ path: `${cp}.ports[${j}].name`, message: 'must be an IANA service name (at most 15 characters)' });
      });
      const resources = c.resources as { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined;
      for (const group of ['requests', 'limits'] as const) {
        for (const [name, value] of Object.entries(resources?.[group] ?? {})) {
          if (typeof value !== 'string' || !quantity.test(value)) problems.push({ path: `${cp}.resources.${group}.${name}`, message: 'is not a quantity' });
        }
      }
    });
  }

  function checkSemantics(object: KubeObject, problems: ManifestProblem[]): void {
    const meta = object.metadata ?? {};
    const name = meta.name;
    const nameOk = object.kind === 'Service' ? dns1035Label.test(name) && name.length <= 63 : dns1123Subdomain.test(name ?? '');
    if (typeof name === 'string' && !nameOk) problems.push({ path: 'metadata.name', message: 'is not a valid object name' });
    if (meta.namespace !== undefined && (!dns1123Label.test(meta.namespace) || meta.namespace.length > 63)) {
      problems.push({ path: 'metadata.namespace', message: 'must be a DNS-1123 label' });
    }
    checkLabels(meta.labels, 'metadata.labels', problems);
    const spec = object.spec as Record<string, unknown> | undefined;
    if (object.kind === 'Deployment' || object.kind === 'ReplicaSet') {
      const selector = (spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
      const template = spec?.template as { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } | undefined;
      const templateLabels = template?.metadata?.labels ?? {};
      if (Object.keys(selector).length === 0) problems.push({ path: 'spec.selector.matchLabels', message: 'must not be empty' });
      for (const [key, value] of Object.entries(selector)) {
        if (templateLabels[key] !== value) problems.push({ path: 'spec.template.metadata.labels', message: `must match the selector (${key})` });
      }
      checkLabels(templateLabels, 'spec.template.metadata.labels', problems);
      checkPodSpec(template?.spec, 'spec.template.spec', problems);
      const replicas = spec?.replicas;
      if (typeof replicas === 'number' && replicas < 0) problems.push({ path: 'spec.replicas', message: 'must not be negative' });
    }
    if (object.kind === 'Pod') checkPodSpec(spec, 'spec', problems);
    if (object.kind === 'Service') {
      const ports = (spec?.ports ?? []) as Array<Record<string, unknown>>;
      if (ports.length === 0) problems.push({ path: 'spec.ports', message: 'must have at least one port' });
      ports.forEach((p, i) => {
        if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535)) problems.push({ path: `spec.ports[${i}].port`, message: 'must be between 1 and 65535' });
        if (p.nodePort !== undefined) {
          if (spec?.type === 'ClusterIP' || spec?.type === undefined) problems.push({ path: `spec.ports[${i}].nodePort`, message: 'is only allowed for NodePort and LoadBalancer' });
          if (typeof p.nodePort === 'number' && (p.nodePort < 30000 || p.nodePort > 32767)) problems.push({ path: `spec.ports[${i}].nodePort`, message: 'must be in the node port range 30000-32767' });
        }
      });
      checkLabels(spec?.selector, 'spec.selector', problems);
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      const min = spec?.minReplicas;
      const max = spec?.maxReplicas;
      if (typeof min === 'number' && typeof max === 'number' && max < min) problems.push({ path: 'spec.maxReplicas', message: 'must be at least minReplicas' });
    }
  }

  function validate(objects: readonly KubeObject[]): ManifestProblem[] {
    const problems: ManifestProblem[] = [];
    for (const object of objects) {
      const label = `${object?.kind ?? '?'}/${object?.metadata?.name ?? '?'}`;
      const model = rootModels[`${object?.apiVersion}/${object?.kind}`];
      if (!model) {
        problems.push({ path: `${label}: apiVersion/kind`, message: `${object?.apiVersion}/${object?.kind} is not a kind the deployer applies` });
        continue;
      }
      const own: ManifestProblem[] = [];
      checkModel(model, object, '', own);
      if (!object.metadata?.name) own.push({ path: 'metadata.name', message: 'is required' });
      checkSemantics(object, own);
      for (const p of own) problems.push({ path: `${label}: ${p.path}`, message: p.message });
    }
    return problems;
  }

  return {
    validate,
    assertValid(objects) {
      const problems = validate(objects);
      if (problems.length > 0) {
        throw new InputError(`manifest: ${problems.length} problem(s): ${problems.slice(0, 5).map((p) => `${p.path} ${p.message}`).join('; ')}`, {
          field: 'manifest',
          problems,
        });
      }
    },
  };
}
