import type {
  Capabilities,
  DeployAccepted as ContractDeployAccepted,
  DeployBody,
  DeploymentDoneEvent,
  DeploymentLogEvent,
  DeploymentStateEvent,
  DeploymentView,
  NamespacesView,
  PreviewView,
  RegistryLoginBody,
  RegistryLoginView,
  RegistryStatusView,
  RevisionView,
  ValidateBody,
  ValidationView,
} from '@ashapp/contracts/deployer';
import type { HttpClient } from './http.ts';
import { openEventStream, type EventStream, type StreamStatus } from './event-stream.ts';

// The shapes are the deployer's contract (/deployer-api/*); the form's own types are checked against it
// where they are sent (DeployRequest must be a DeployBody).
/** The deployer's answer; the page also reads the original's synchronous answer (no deployment id). */
export type DeployAccepted = Partial<ContractDeployAccepted> & Record<string, unknown>;
export type RegistryLoginInput = Required<RegistryLoginBody>;
export type ValidationResult = ValidationView;
export type ValidationIssue = ValidationView['errors'][number];

export type WorkloadKind = NonNullable<DeployBody['k8s_kind']>;
export type ServiceType = NonNullable<DeployBody['service_type']>;
export type Strategy = NonNullable<DeployBody['strategy']>;

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

export type DeploymentRecord = DeploymentView;
export type RevisionRecord = RevisionView;
export type StateEvent = DeploymentStateEvent;
/** A log line; a plain-text `data:` line (no JSON) carries neither stage nor time. */
export type LogEvent = Pick<DeploymentLogEvent, 'line'> & Partial<DeploymentLogEvent>;
export type DoneEvent = DeploymentDoneEvent;

export interface DeploymentStreamHandlers {
  onState(event: StateEvent): void;
  onLog(event: LogEvent): void;
  onDone(event: DoneEvent): void;
  onStatus(status: StreamStatus): void;
}

/** The session's stored registry sign-in (never the token). */
export type RegistryStatus = RegistryStatusView;
/** What the deployer can do before anything is started (GET /deployer-api/capabilities). */
export type DeployerCapabilities = Capabilities;
/** The namespaces the signed-in user may deploy into, and where a deploy without one goes. */
export type DeployerNamespaces = NamespacesView;

export interface DeployerClient {
  capabilities(): Promise<DeployerCapabilities>;
  namespaces(): Promise<DeployerNamespaces>;
  registryStatus(): Promise<RegistryStatus>;
  registryLogin(input: RegistryLoginInput): Promise<RegistryLoginView>;
  registryLogout(): Promise<unknown>;
  validate(input: ValidateBody): Promise<ValidationResult>;
  preview(input: DeployBody): Promise<PreviewView>;
  deploy(input: DeployBody): Promise<DeployAccepted>;
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
      http.json<RegistryLoginView>('/deployer-api/docker-login', {
        method: 'POST',
        body: input,
        redirectOn401: false,
      }),
    registryLogout: () => http.json('/deployer-api/docker-logout', { method: 'POST', body: {} }),
    validate: (input) =>
      http.json<ValidationResult>('/deployer-api/validate', { method: 'POST', body: input }),
    preview: (input) => http.json<PreviewView>('/deployer-api/preview', { method: 'POST', body: input }),
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
