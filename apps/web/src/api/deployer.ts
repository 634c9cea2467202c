import type { HttpClient } from './http.ts';
import { openEventStream, type EventStream, type StreamStatus } from './event-stream.ts';

export interface RegistryLoginInput {
  docker_user: string;
  docker_token: string;
  /** Registry host; Docker Hub is `docker.io`. */
  registry: string;
}

export interface ValidationIssue {
  line?: number;
  column?: number;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors?: ValidationIssue[];
  app_object?: string;
  port?: number;
  error?: string;
}

export type WorkloadKind = 'Deployment' | 'ReplicaSet';
export type ServiceType = 'NodePort' | 'ClusterIP' | 'LoadBalancer';
export type Strategy = 'rolling' | 'blue-green' | 'canary';

export interface DeploySettings {
  app_name: string;
  k8s_kind: WorkloadKind;
  replicas: number;
  service_type: ServiceType;
  container_port: number;
  namespace: string;
  strategy: Strategy;
  /** Share of replicas (percent, 1–99) on the new version; only with strategy `canary`. */
  canary_percent?: number;
  /** An Ingress for the app's Service (Kubernetes target, rolling strategy). */
  ingress?: { host: string; path?: string; tls_secret?: string };
  /** A HorizontalPodAutoscaler for the workload (Kubernetes target, rolling strategy). */
  autoscaling?: { min_replicas: number; max_replicas: number; cpu_percent: number };
}

export interface CodeSource {
  code: string;
  requirements?: string;
}

export interface GitSource {
  repo_url: string;
  ref?: string;
  image_name?: string;
  tag?: string;
}

export type DeployRequest = DeploySettings & (CodeSource | GitSource);

export interface DeployAccepted {
  deployment_id: string;
  state?: string;
  [key: string]: unknown;
}

export interface DeploymentRecord {
  id: string;
  app_name: string;
  namespace: string;
  state: string;
  revision: number;
  image: string;
  url: string | null;
  created_at: string;
  updated_at: string;
}

export interface RevisionRecord {
  revision: number;
  image: string;
  state: string;
  created_at: string;
  /** This revision is what runs now (after a rollback: the revision rolled back to). */
  live?: boolean;
  /** It reached Stable once, so its manifest and image can be applied again. */
  rollback_possible?: boolean;
}

export interface StateEvent {
  state: string;
  progress: number;
  at: string;
}

export interface LogEvent {
  line: string;
  stage?: string;
  at?: string;
}

export interface DoneEvent {
  state: string;
  url?: string;
  image?: string;
  manifest?: string;
  error?: string;
}

export interface DeploymentStreamHandlers {
  onState(event: StateEvent): void;
  onLog(event: LogEvent): void;
  onDone(event: DoneEvent): void;
  onStatus(status: StreamStatus): void;
}

/** The session's stored registry sign-in (never the token). */
export interface RegistryStatus {
  signed_in: boolean;
  registry?: string;
  username?: string;
  expires_at?: string;
}

/** What the deployer can do before anything is started (GET /deployer-api/capabilities). */
export interface DeployerCapabilities {
  target: string;
  target_available: boolean;
  builder: string | null;
  strategies: string[];
  can_deploy_source: boolean;
  problems: string[];
  /** Whether a deploy may carry an Ingress and an HPA (a cluster); absent from older deployers. */
  ingress_autoscaling?: boolean;
  /** What works differently on this target, said beside the fields concerned. */
  notes?: string[];
}

/** The namespaces the signed-in user may deploy into, and where a deploy without one goes. */
export interface DeployerNamespaces {
  default: string;
  allowed: string[];
}

export interface DeployerClient {
  capabilities(): Promise<DeployerCapabilities>;
  namespaces(): Promise<DeployerNamespaces>;
  registryStatus(): Promise<RegistryStatus>;
  registryLogin(input: RegistryLoginInput): Promise<unknown>;
  registryLogout(): Promise<unknown>;
  validate(input: { code: string; app_name: string }): Promise<ValidationResult>;
  preview(input: DeployRequest): Promise<{ manifests: string }>;
  deploy(input: DeployRequest): Promise<DeployAccepted>;
  listDeployments(): Promise<DeploymentRecord[]>;
  listRevisions(app: string, namespace: string): Promise<RevisionRecord[]>;
  rollback(app: string, namespace: string, revision: number): Promise<unknown>;
  deleteApp(app: string, namespace: string): Promise<void>;
  streamDeployment(id: string, handlers: DeploymentStreamHandlers): EventStream;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function createDeployerClient(http: HttpClient): DeployerClient {
  const app = (name: string) => encodeURIComponent(name);
  return {
    capabilities: () => http.json<DeployerCapabilities>('/deployer-api/capabilities'),
    namespaces: () => http.json<DeployerNamespaces>('/deployer-api/namespaces'),
    registryStatus: () => http.json<RegistryStatus>('/deployer-api/registry'),
    // A wrong registry token is a 401 to show on the form, not a lost ASHapp session.
    registryLogin: (input) =>
      http.json('/deployer-api/docker-login', { method: 'POST', body: input, redirectOn401: false }),
    registryLogout: () => http.json('/deployer-api/docker-logout', { method: 'POST', body: {} }),
    validate: (input) =>
      http.json<ValidationResult>('/deployer-api/validate', { method: 'POST', body: input }),
    preview: (input) =>
      http.json<{ manifests: string }>('/deployer-api/preview', { method: 'POST', body: input }),
    deploy: (input) => http.json<DeployAccepted>('/deployer-api/deploy', { method: 'POST', body: input }),
    async listDeployments() {
      const data = await http.json<{ items?: DeploymentRecord[] }>('/deployer-api/deployments');
      return Array.isArray(data.items) ? data.items : [];
    },
    async listRevisions(name, namespace) {
      const data = await http.json<{ items?: RevisionRecord[] }>(
        `/deployer-api/deployments/${app(name)}/revisions`,
        {
          query: { namespace },
        },
      );
      return Array.isArray(data.items) ? data.items : [];
    },
    rollback: (name, namespace, revision) =>
      http.json(`/deployer-api/deployments/${app(name)}/rollback`, {
        method: 'POST',
        body: { namespace, revision },
      }),
    async deleteApp(name, namespace) {
      await http.request(`/deployer-api/apps/${app(name)}`, { method: 'DELETE', query: { namespace } });
    },
    streamDeployment(id, handlers) {
      return openEventStream(`/deployer-api/deployments/${encodeURIComponent(id)}/stream`, {
        handlers: {
          state: (data) => {
            if (isObject(data) && typeof data.state === 'string')
              handlers.onState(data as unknown as StateEvent);
          },
          log: (data) => {
            if (isObject(data) && typeof data.line === 'string') handlers.onLog(data as unknown as LogEvent);
            else if (typeof data === 'string') handlers.onLog({ line: data });
          },
          done: (data) => {
            if (isObject(data)) handlers.onDone(data as unknown as DoneEvent);
          },
        },
        onStatus: handlers.onStatus,
      });
    },
  };
}
