import { createRequire } from 'node:module';
import type * as k8s from '@kubernetes/client-node';

export type KubeClientModule = typeof k8s;

/** The API groups the target talks to, made from one KubeConfig. */
export interface KubeApi {
  client: KubeClientModule;
  objects: k8s.KubernetesObjectApi;
  apps: k8s.AppsV1Api;
  core: k8s.CoreV1Api;
  networking: k8s.NetworkingV1Api;
  autoscaling: k8s.AutoscalingV2Api;
}

/**
 * @kubernetes/client-node is loaded when a Kubernetes target is made, not when the deployer starts: it is
 * ~2 s and ~80 MB of modules, which a deployer on the podman target never needs and which held up
 * readiness (issue 9). `require` keeps the factories synchronous; the package stays outside the bundle.
 */
export function loadKubeClient(): KubeClientModule {
  return createRequire(import.meta.url)('@kubernetes/client-node') as KubeClientModule;
}

/** From a kubeconfig file, or the pod's service account when none is given. */
export function loadKubeConfig(file: string | undefined): k8s.KubeConfig {
  const kubeConfig = new (loadKubeClient().KubeConfig)();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}

export function createKubeApi(kubeConfig: k8s.KubeConfig): KubeApi {
  const client = loadKubeClient();
  return {
    client,
    objects: client.KubernetesObjectApi.makeApiClient(kubeConfig),
    apps: kubeConfig.makeApiClient(client.AppsV1Api),
    core: kubeConfig.makeApiClient(client.CoreV1Api),
    networking: kubeConfig.makeApiClient(client.NetworkingV1Api),
    autoscaling: kubeConfig.makeApiClient(client.AutoscalingV2Api),
  };
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/** The API server's own message (from the Status body) rather than the client's generic one. */
export function describeApiError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let message = e.message ?? String(err);
  if (typeof e.body === 'string') {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? message;
    } catch {
      // keep the client's message
    }
  } else if (e.body && typeof e.body === 'object' && 'message' in e.body) {
    message = String((e.body as { message: unknown }).message);
  }
  return e.code ? `${e.code}: ${message}` : message;
}

export function toSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Metadata as the ownership helpers read it. */
export type LabelledMeta = { labels?: Record<string, string>; annotations?: Record<string, string> };
