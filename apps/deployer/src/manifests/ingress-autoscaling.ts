import { InputError } from '@ashapp/platform';
import type { ManifestSpec } from './render-manifests.ts';

/** The request's `ingress` and `autoscaling` objects, as the deploy and preview bodies carry them. */
export interface IngressInput {
  host?: unknown;
  path?: unknown;
  tls_secret?: unknown;
  class_name?: unknown;
}

export interface AutoscalingInput {
  min_replicas?: unknown;
  max_replicas?: unknown;
  cpu_percent?: unknown;
}

export interface IngressAndAutoscaling {
  ingress?: NonNullable<ManifestSpec['ingress']>;
  hpa?: NonNullable<ManifestSpec['hpa']>;
}

const dns1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const urlPath = /^\/[A-Za-z0-9._~\-/]*$/;

function fail(field: string, message: string): never {
  throw new InputError(`${field}: ${message}`, { field });
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function readName(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  const text = value.trim().toLowerCase();
  if (!dns1123Subdomain.test(text))
    fail(field, `must be ${what} (lowercase letters, digits, dashes and dots)`);
  return text;
}

function readInteger(field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) fail(field, 'must be an integer');
  if (number < min || number > max) fail(field, `must be between ${min} and ${max}`);
  return number;
}

/**
 * Checks the optional Ingress and HorizontalPodAutoscaler settings of a deploy or preview. They are
 * Kubernetes objects: preview shows them on any target (it shows what a cluster would get), but a deploy
 * to podman refuses them rather than silently running without them. Under blue-green and canary the
 * strategy code owns which objects exist, so both are offered with the rolling strategy only.
 */
export function readIngressAndAutoscaling(
  body: {
    ingress?: IngressInput | undefined;
    autoscaling?: AutoscalingInput | undefined;
    strategy?: string | undefined;
  },
  options: { target: 'kubernetes' | 'podman'; purpose: 'deploy' | 'preview' },
): IngressAndAutoscaling {
  const result: IngressAndAutoscaling = {};
  if (body.ingress) {
    const { host, path, tls_secret: tlsSecret, class_name: className } = body.ingress;
    if (!present(host)) fail('ingress.host', 'is required for an Ingress');
    const ingress: NonNullable<ManifestSpec['ingress']> = {
      host: readName('ingress.host', host, 'a DNS name'),
    };
    if (present(path)) {
      if (typeof path !== 'string' || !urlPath.test(path))
        fail('ingress.path', 'must be an absolute URL path, e.g. / or /app');
      ingress.path = path;
    }
    if (present(tlsSecret))
      ingress.tlsSecret = readName(
        'ingress.tls_secret',
        tlsSecret,
        'the name of a TLS Secret in the namespace',
      );
    if (present(className))
      ingress.className = readName('ingress.class_name', className, 'an IngressClass name');
    result.ingress = ingress;
  }
  if (body.autoscaling) {
    const { min_replicas: min, max_replicas: max, cpu_percent: cpu } = body.autoscaling;
    const minReplicas = readInteger('autoscaling.min_replicas', min ?? 1, 1, 100);
    const maxReplicas = readInteger('autoscaling.max_replicas', max, 1, 100);
    if (maxReplicas < minReplicas)
      fail('autoscaling.max_replicas', 'must be at least autoscaling.min_replicas');
    const cpuUtilization = readInteger('autoscaling.cpu_percent', cpu ?? 80, 1, 100);
    result.hpa = { minReplicas, maxReplicas, cpuUtilization };
  }
  const asked = [result.ingress ? 'ingress' : undefined, result.hpa ? 'autoscaling' : undefined].filter(
    (f) => f !== undefined,
  );
  const first = asked[0];
  if (first === undefined) return result;
  const strategy = body.strategy ?? 'rolling';
  if (strategy !== 'rolling') fail(first, `applies with the rolling strategy only, not ${strategy}`);
  if (options.purpose === 'deploy' && options.target !== 'kubernetes') {
    fail(
      first,
      `${asked.join(' and ')} only apply on the kubernetes target; this deployer runs apps with ${options.target}, which has no Ingress or HorizontalPodAutoscaler (preview still shows them)`,
    );
  }
  return result;
}
