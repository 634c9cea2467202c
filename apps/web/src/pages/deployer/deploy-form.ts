import type { DeployRequest, DeploySettings } from '../../api/deployer.ts';

/** The form's Ingress and autoscaling values, kept as typed text until the request is built. */
export interface AdvancedValues {
  ingressOn: boolean;
  host: string;
  path: string;
  tlsSecret: string;
  autoscaleOn: boolean;
  minReplicas: number;
  maxReplicas: number;
  cpuPercent: number;
}

export const initialAdvancedValues: AdvancedValues = {
  ingressOn: false,
  host: '',
  path: '/',
  tlsSecret: '',
  autoscaleOn: false,
  minReplicas: 2,
  maxReplicas: 5,
  cpuPercent: 80,
};

/** The request fields for what is switched on; nothing for what is off. */
export function readAdvancedRequest(values: AdvancedValues): Pick<DeploySettings, 'ingress' | 'autoscaling'> {
  const request: Pick<DeploySettings, 'ingress' | 'autoscaling'> = {};
  if (values.ingressOn) {
    request.ingress = {
      host: values.host.trim(),
      ...(values.path.trim() ? { path: values.path.trim() } : {}),
      ...(values.tlsSecret.trim() ? { tls_secret: values.tlsSecret.trim() } : {}),
    };
  }
  if (values.autoscaleOn) {
    request.autoscaling = {
      min_replicas: values.minReplicas,
      max_replicas: values.maxReplicas,
      cpu_percent: values.cpuPercent,
    };
  }
  return request;
}

export type SourceKind = 'code' | 'git';

/** Pasted code, or a Git repository the deployer clones; only the chosen one is sent. */
export interface SourceValues {
  code: string;
  requirements: string;
  repoUrl: string;
  ref: string;
  imageName: string;
  tag: string;
}

/** Everything the Deployer form holds, as typed; `buildDeployRequest` trims and drops what does not apply. */
export interface DeployFormState {
  source: SourceKind;
  sourceValues: SourceValues;
  settings: DeploySettings;
  advanced: AdvancedValues;
}

export type DeployFormAction =
  | { type: 'source'; source: SourceKind }
  | { type: 'source-value'; key: keyof SourceValues; value: string }
  | { type: 'setting'; patch: Partial<DeploySettings> }
  | { type: 'advanced'; values: AdvancedValues }
  | { type: 'namespaces'; allowed: readonly string[]; fallback: string };

export const initialDeployForm: DeployFormState = {
  source: 'code',
  sourceValues: { code: '', requirements: '', repoUrl: '', ref: '', imageName: '', tag: 'latest' },
  settings: {
    app_name: '',
    k8s_kind: 'Deployment',
    replicas: 2,
    service_type: 'NodePort',
    container_port: 5000,
    namespace: 'default',
    strategy: 'rolling',
    canary_percent: 20,
  },
  advanced: initialAdvancedValues,
};

export function reduceDeployForm(state: DeployFormState, action: DeployFormAction): DeployFormState {
  switch (action.type) {
    case 'source':
      return { ...state, source: action.source };
    case 'source-value':
      return { ...state, sourceValues: { ...state.sourceValues, [action.key]: action.value } };
    case 'setting':
      return { ...state, settings: { ...state.settings, ...action.patch } };
    case 'advanced':
      return { ...state, advanced: action.values };
    case 'namespaces':
      // The operator decides where apps may go: a namespace outside the allowed ones gives way to the default.
      return action.allowed.includes(state.settings.namespace)
        ? state
        : { ...state, settings: { ...state.settings, namespace: action.fallback } };
  }
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes object names (RFC 1123 labels); the deployer checks again, this only helps early. */
export function checkKubernetesName(value: string, what: string): string | undefined {
  if (!value) return `${what} is required.`;
  if (value.length > 63) return `${what} must be at most 63 characters.`;
  if (!K8S_NAME.test(value))
    return `${what} may hold lowercase letters, digits and dashes, starting and ending with a letter or digit.`;
  return undefined;
}

/** What the form shows as wrong now, and whether Preview and Deploy may be pressed. */
export function checkDeployForm(state: DeployFormState): {
  nameProblem: string | undefined;
  namespaceProblem: string | undefined;
  ready: boolean;
} {
  const { settings, source, sourceValues } = state;
  // An empty name is not an error while the user has not typed one yet; it only keeps Deploy disabled.
  const nameProblem = settings.app_name ? checkKubernetesName(settings.app_name, 'App name') : undefined;
  const namespaceProblem = checkKubernetesName(settings.namespace, 'Namespace');
  const sourceReady =
    source === 'code' ? sourceValues.code.trim().length > 0 : sourceValues.repoUrl.trim().length > 0;
  const ready =
    sourceReady && !checkKubernetesName(settings.app_name.trim(), 'App name') && !namespaceProblem;
  return { nameProblem, namespaceProblem, ready };
}

/** The preview/deploy body: trimmed names, the canary share only for canary, Ingress/HPA only for rolling. */
export function buildDeployRequest(state: DeployFormState): DeployRequest {
  const { settings, source, sourceValues, advanced } = state;
  const base: DeploySettings = {
    ...settings,
    app_name: settings.app_name.trim(),
    namespace: settings.namespace.trim(),
  };
  if (base.strategy !== 'canary') delete base.canary_percent;
  if (base.strategy === 'rolling') Object.assign(base, readAdvancedRequest(advanced));
  if (source === 'code') {
    const { code, requirements } = sourceValues;
    return { ...base, code, ...(requirements.trim() ? { requirements } : {}) };
  }
  const { repoUrl, ref, imageName, tag } = sourceValues;
  return {
    ...base,
    repo_url: repoUrl.trim(),
    ...(ref.trim() ? { ref: ref.trim() } : {}),
    ...(imageName.trim() ? { image_name: imageName.trim() } : {}),
    ...(tag.trim() ? { tag: tag.trim() } : {}),
  };
}
