import { stringify } from 'yaml';
import { InputError } from '@ashapp/platform';
import { appUserId, healthPath } from '../build/dockerfile.ts';
import {
  validateAppName,
  validateImageReference,
  validateNamespace,
  validateNodePort,
  validatePort,
  validateReplicas,
  validateServiceType,
  validateWorkloadKind,
  type ServiceType,
  type WorkloadKind,
} from '../validation/inputs.ts';

/** A Kubernetes object as plain data: built as objects, turned into YAML only by the serializer. */
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

export type Colour = 'blue' | 'green';
export type Track = 'stable' | 'canary';

export type DeployStrategy =
  | { type: 'rolling' }
  /** The workload of one colour; the Service selects `serviceColour` (the live one). */
  | { type: 'blue-green'; colour: Colour; serviceColour: Colour }
  /** Stable and canary workloads side by side; the Service selects both tracks. */
  | { type: 'canary'; track: Track };

export interface ResourceSettings {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface ManifestSpec {
  appName: string;
  namespace: string;
  image: string;
  kind: WorkloadKind;
  replicas: number;
  serviceType: ServiceType;
  containerPort: number;
  /** Port the Service listens on; the container port when not given (as the original did). */
  servicePort?: number;
  nodePort?: number;
  /** Deployment revision number, kept as an annotation and in the version label. */
  revision: number;
  resources?: ResourceSettings;
  probePath?: string;
  strategy?: DeployStrategy;
  ingress?: { host: string; path?: string; className?: string; tlsSecret?: string };
  hpa?: { minReplicas: number; maxReplicas: number; cpuUtilization: number };
  imagePullSecret?: string;
}

export const defaultResources: ResourceSettings = Object.freeze({
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
});

export const labelKeys = Object.freeze({
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  version: 'app.kubernetes.io/version',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  colour: 'ashapp.io/colour',
  track: 'ashapp.io/track',
});
export const revisionAnnotation = 'ashapp.io/revision';
export const imageAnnotation = 'ashapp.io/image';

const quantity = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const dns1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Name of the workload object for an app under a strategy. */
export function readWorkloadName(appName: string, strategy: DeployStrategy = { type: 'rolling' }): string {
  if (strategy.type === 'blue-green') return `${appName}-${strategy.colour}`;
  if (strategy.type === 'canary' && strategy.track === 'canary') return `${appName}-canary`;
  return appName;
}

/** The Service keeps the original's `<app>-svc` name. */
export function readServiceName(appName: string): string {
  return `${appName}-svc`;
}

function checkSpec(spec: ManifestSpec): void {
  validateAppName(spec.appName);
  validateNamespace(spec.namespace);
  validateImageReference(spec.image);
  validateWorkloadKind(spec.kind);
  validateReplicas(spec.replicas, { max: 100 });
  validateServiceType(spec.serviceType);
  validatePort(spec.containerPort);
  if (spec.servicePort !== undefined) validatePort(spec.servicePort, 'service_port');
  if (spec.nodePort !== undefined) validateNodePort(spec.nodePort);
  if (!Number.isInteger(spec.revision) || spec.revision < 1)
    throw new InputError('revision: must be a positive integer', { field: 'revision' });
  const resources = spec.resources ?? defaultResources;
  for (const [group, values] of Object.entries(resources)) {
    for (const [name, value] of Object.entries(values as Record<string, string>)) {
      if (!quantity.test(value))
        throw new InputError(`resources.${group}.${name}: not a Kubernetes quantity`, {
          field: `resources.${group}.${name}`,
        });
    }
  }
  if (spec.ingress && !dns1123Subdomain.test(spec.ingress.host)) {
    throw new InputError('ingress.host: must be a DNS name', { field: 'ingress.host' });
  }
  if (spec.ingress?.path !== undefined && !/^\/[A-Za-z0-9._~\-/]*$/.test(spec.ingress.path)) {
    throw new InputError('ingress.path: must be an absolute URL path', { field: 'ingress.path' });
  }
  if (spec.hpa) {
    const { minReplicas, maxReplicas, cpuUtilization } = spec.hpa;
    validateReplicas(minReplicas, { field: 'hpa.min_replicas', max: 100 });
    validateReplicas(maxReplicas, { field: 'hpa.max_replicas', max: 100 });
    if (maxReplicas < minReplicas)
      throw new InputError('hpa.max_replicas: must be at least hpa.min_replicas', {
        field: 'hpa.max_replicas',
      });
    if (!Number.isInteger(cpuUtilization) || cpuUtilization < 1 || cpuUtilization > 100) {
      throw new InputError('hpa.cpu_utilization: must be between 1 and 100', {
        field: 'hpa.cpu_utilization',
      });
    }
  }
  if (spec.probePath !== undefined && !/^\/[A-Za-z0-9._~\-/]*$/.test(spec.probePath)) {
    throw new InputError('probe_path: must be an absolute URL path', { field: 'probe_path' });
  }
}

function readSelectorLabels(spec: ManifestSpec): Record<string, string> {
  const strategy = spec.strategy ?? { type: 'rolling' };
  const labels: Record<string, string> = {
    [labelKeys.name]: spec.appName,
    [labelKeys.instance]: readWorkloadName(spec.appName, strategy),
  };
  if (strategy.type === 'blue-green') labels[labelKeys.colour] = strategy.colour;
  return labels;
}

function readCommonLabels(spec: ManifestSpec): Record<string, string> {
  const strategy = spec.strategy ?? { type: 'rolling' };
  const labels: Record<string, string> = {
    ...readSelectorLabels(spec),
    [labelKeys.version]: `r${spec.revision}`,
    [labelKeys.component]: 'web',
    [labelKeys.managedBy]: 'ashapp',
  };
  if (strategy.type === 'canary') labels[labelKeys.track] = strategy.track;
  return labels;
}

/** The Deployment or ReplicaSet running the app. */
export function renderWorkload(spec: ManifestSpec): KubeObject {
  checkSpec(spec);
  const resources = spec.resources ?? defaultResources;
  const probePath = spec.probePath ?? healthPath;
  const labels = readCommonLabels(spec);
  const annotations = { [revisionAnnotation]: String(spec.revision), [imageAnnotation]: spec.image };
  const podSpec: Record<string, unknown> = {
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: appUserId,
      runAsGroup: appUserId,
      fsGroup: appUserId,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: 'app',
        image: spec.image,
        imagePullPolicy: 'IfNotPresent',
        ports: [{ name: 'http', containerPort: spec.containerPort, protocol: 'TCP' }],
        resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
        readinessProbe: {
          httpGet: { path: probePath, port: 'http' },
          initialDelaySeconds: 2,
          periodSeconds: 5,
          timeoutSeconds: 2,
          failureThreshold: 3,
        },
        livenessProbe: {
          httpGet: { path: probePath, port: 'http' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          timeoutSeconds: 2,
          failureThreshold: 3,
        },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
        // gunicorn writes worker heartbeats to /tmp (--worker-tmp-dir); the root filesystem is read-only.
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    terminationGracePeriodSeconds: 30,
  };
  if (spec.imagePullSecret) podSpec.imagePullSecrets = [{ name: spec.imagePullSecret }];
  const workloadSpec: Record<string, unknown> = {
    replicas: spec.replicas,
    selector: { matchLabels: readSelectorLabels(spec) },
    template: { metadata: { labels, annotations }, spec: podSpec },
  };
  if (spec.kind === 'Deployment') {
    workloadSpec.revisionHistoryLimit = 10;
    workloadSpec.progressDeadlineSeconds = 300;
    workloadSpec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
  }
  return {
    apiVersion: 'apps/v1',
    kind: spec.kind,
    metadata: {
      name: readWorkloadName(spec.appName, spec.strategy),
      namespace: spec.namespace,
      labels,
      annotations,
    },
    spec: workloadSpec,
  };
}

/** The Service in front of the app; under blue-green it selects the live colour only. */
export function renderService(spec: ManifestSpec): KubeObject {
  checkSpec(spec);
  const strategy = spec.strategy ?? { type: 'rolling' };
  const selector: Record<string, string> = { [labelKeys.name]: spec.appName };
  if (strategy.type === 'blue-green') selector[labelKeys.colour] = strategy.serviceColour;
  if (strategy.type === 'rolling') selector[labelKeys.instance] = spec.appName;
  const port: Record<string, unknown> = {
    name: 'http',
    port: spec.servicePort ?? spec.containerPort,
    targetPort: 'http',
    protocol: 'TCP',
  };
  if (spec.nodePort !== undefined && spec.serviceType !== 'ClusterIP') port.nodePort = spec.nodePort;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: readServiceName(spec.appName),
      namespace: spec.namespace,
      labels: {
        [labelKeys.name]: spec.appName,
        [labelKeys.managedBy]: 'ashapp',
        [labelKeys.component]: 'web',
      },
      annotations: { [revisionAnnotation]: String(spec.revision) },
    },
    spec: { type: spec.serviceType, selector, ports: [port] },
  };
}

function renderIngress(spec: ManifestSpec, ingress: NonNullable<ManifestSpec['ingress']>): KubeObject {
  const ingressSpec: Record<string, unknown> = {
    rules: [
      {
        host: ingress.host,
        http: {
          paths: [
            {
              path: ingress.path ?? '/',
              pathType: 'Prefix',
              backend: { service: { name: readServiceName(spec.appName), port: { name: 'http' } } },
            },
          ],
        },
      },
    ],
  };
  if (ingress.className) ingressSpec.ingressClassName = ingress.className;
  if (ingress.tlsSecret) ingressSpec.tls = [{ hosts: [ingress.host], secretName: ingress.tlsSecret }];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: spec.appName,
      namespace: spec.namespace,
      labels: { [labelKeys.name]: spec.appName, [labelKeys.managedBy]: 'ashapp' },
    },
    spec: ingressSpec,
  };
}

function renderHpa(spec: ManifestSpec, hpa: NonNullable<ManifestSpec['hpa']>): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: spec.appName,
      namespace: spec.namespace,
      labels: { [labelKeys.name]: spec.appName, [labelKeys.managedBy]: 'ashapp' },
    },
    spec: {
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: spec.kind,
        name: readWorkloadName(spec.appName, spec.strategy),
      },
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.cpuUtilization } },
        },
      ],
    },
  };
}

/** Workload, Service and the optional Ingress and HPA, in the order they should be applied. */
export function renderManifests(spec: ManifestSpec): KubeObject[] {
  const objects = [renderWorkload(spec), renderService(spec)];
  if (spec.ingress) objects.push(renderIngress(spec, spec.ingress));
  if (spec.hpa) objects.push(renderHpa(spec, spec.hpa));
  return objects;
}

/** Multi-document YAML; every value goes through the serializer, so user text cannot add structure. */
export function serializeManifests(objects: readonly KubeObject[]): string {
  // No anchors/aliases for the labels the workload and its template share: plain YAML reads better.
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
