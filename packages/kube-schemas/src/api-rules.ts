import type { ManifestProblem } from './problems.ts';

/**
 * Rules the API server enforces that the OpenAPI schemas cannot say: object names, label syntax, a
 * workload's selector matching its template, container names and ports, resource quantities, node port
 * range, HPA bounds. Checked here so a preview or a CI run fails the way `kubectl apply` would.
 */

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ianaSvcName = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const quantity = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const podTemplateKinds = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);
// Kinds whose names the API server checks as DNS-1035 labels rather than subdomains.
const labelNamedKinds = new Set(['Service', 'Namespace']);

type Record_ = Record<string, unknown>;

function asRecord(value: unknown): Record_ | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record_) : undefined;
}

function asList(value: unknown): Record_[] {
  return Array.isArray(value) ? value.filter((v): v is Record_ => asRecord(v) !== undefined) : [];
}

function checkLabels(labels: unknown, path: string, problems: ManifestProblem[]): void {
  for (const [key, value] of Object.entries(asRecord(labels) ?? {})) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (
      (prefix !== undefined && !dns1123Subdomain.test(prefix)) ||
      name.length > 63 ||
      !labelName.test(name)
    ) {
      problems.push({ path: `${path}.${key}`, message: 'is not a valid label key' });
    }
    if (typeof value !== 'string' || value.length > 63 || !labelValue.test(value)) {
      problems.push({ path: `${path}.${key}`, message: 'is not a valid label value' });
    }
  }
}

function checkContainers(containers: Record_[], path: string, problems: ManifestProblem[]): void {
  containers.forEach((c, i) => {
    const cp = `${path}[${i}]`;
    if (typeof c.name === 'string' && !dns1123Label.test(c.name))
      problems.push({ path: `${cp}.name`, message: 'must be a DNS-1123 label' });
    if (typeof c.image === 'string' && c.image.trim() === '')
      problems.push({ path: `${cp}.image`, message: 'must not be empty' });
    asList(c.ports).forEach((p, j) => {
      const port = p.containerPort;
      if (typeof port === 'number' && (port < 1 || port > 65535))
        problems.push({ path: `${cp}.ports[${j}].containerPort`, message: 'must be between 1 and 65535' });
      if (typeof p.name === 'string' && (p.name.length > 15 || !ianaSvcName.test(p.name))) {
        problems.push({
          path: `${cp}.ports[${j}].name`,
          message: 'must be an IANA service name (at most 15 characters)',
        });
      }
    });
    const resources = asRecord(c.resources);
    for (const group of ['requests', 'limits'] as const) {
      for (const [name, value] of Object.entries(asRecord(resources?.[group]) ?? {})) {
        if (!(typeof value === 'number' || (typeof value === 'string' && quantity.test(value)))) {
          problems.push({ path: `${cp}.resources.${group}.${name}`, message: 'is not a quantity' });
        }
      }
    }
  });
}

function checkPodSpec(pod: Record_ | undefined, path: string, problems: ManifestProblem[]): void {
  const containers = asList(pod?.containers);
  if (containers.length === 0)
    problems.push({ path: `${path}.containers`, message: 'must have at least one container' });
  checkContainers(containers, `${path}.containers`, problems);
  checkContainers(asList(pod?.initContainers), `${path}.initContainers`, problems);
}

export function checkApiRules(object: Record_, kind: string): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const meta = asRecord(object.metadata) ?? {};
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    problems.push({ path: 'metadata.name', message: 'is required' });
  } else if (
    labelNamedKinds.has(kind) ? !(dns1035Label.test(name) && name.length <= 63) : !dns1123Subdomain.test(name)
  ) {
    problems.push({ path: 'metadata.name', message: 'is not a valid object name' });
  }
  if (
    typeof meta.namespace === 'string' &&
    (!dns1123Label.test(meta.namespace) || meta.namespace.length > 63)
  ) {
    problems.push({ path: 'metadata.namespace', message: 'must be a DNS-1123 label' });
  }
  checkLabels(meta.labels, 'metadata.labels', problems);
  const spec = asRecord(object.spec);

  if (podTemplateKinds.has(kind)) {
    const template = asRecord(spec?.template);
    const templateLabels = asRecord(asRecord(template?.metadata)?.labels) ?? {};
    // Jobs generate their selector; every other workload must select its own template.
    if (kind !== 'Job') {
      const selector = asRecord(asRecord(spec?.selector)?.matchLabels) ?? {};
      if (Object.keys(selector).length === 0)
        problems.push({ path: 'spec.selector.matchLabels', message: 'must not be empty' });
      for (const [key, value] of Object.entries(selector)) {
        if (templateLabels[key] !== value)
          problems.push({
            path: 'spec.template.metadata.labels',
            message: `must match the selector (${key})`,
          });
      }
    }
    checkLabels(templateLabels, 'spec.template.metadata.labels', problems);
    checkPodSpec(asRecord(template?.spec), 'spec.template.spec', problems);
    if (typeof spec?.replicas === 'number' && spec.replicas < 0)
      problems.push({ path: 'spec.replicas', message: 'must not be negative' });
  }
  if (kind === 'Pod') checkPodSpec(spec, 'spec', problems);
  if (kind === 'Service') {
    const ports = asList(spec?.ports);
    if (ports.length === 0 && spec?.type !== 'ExternalName')
      problems.push({ path: 'spec.ports', message: 'must have at least one port' });
    ports.forEach((p, i) => {
      if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535))
        problems.push({ path: `spec.ports[${i}].port`, message: 'must be between 1 and 65535' });
      if (p.nodePort !== undefined) {
        if (spec?.type === 'ClusterIP' || spec?.type === undefined)
          problems.push({
            path: `spec.ports[${i}].nodePort`,
            message: 'is only allowed for NodePort and LoadBalancer',
          });
        if (typeof p.nodePort === 'number' && (p.nodePort < 30000 || p.nodePort > 32767)) {
          problems.push({
            path: `spec.ports[${i}].nodePort`,
            message: 'must be in the node port range 30000-32767',
          });
        }
      }
    });
    checkLabels(spec?.selector, 'spec.selector', problems);
  }
  if (kind === 'HorizontalPodAutoscaler') {
    const min = spec?.minReplicas;
    const max = spec?.maxReplicas;
    if (typeof min === 'number' && typeof max === 'number' && max < min)
      problems.push({ path: 'spec.maxReplicas', message: 'must be at least minReplicas' });
  }
  return problems;
}
