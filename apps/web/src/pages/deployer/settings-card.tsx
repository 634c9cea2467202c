import type {
  DeployerCapabilities,
  DeploySettings,
  ServiceType,
  Strategy,
  WorkloadKind,
} from '../../api/deployer.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { Field, Input, NumberInput, Select } from '../../components/field.tsx';
import { AdvancedSettings } from './advanced-settings.tsx';
import type { AdvancedValues, SourceKind } from './deploy-form.ts';

export type DeployerTask = 'validate' | 'preview' | 'deploy';

export interface SettingsCardProps {
  settings: DeploySettings;
  onSetting(patch: Partial<DeploySettings>): void;
  advanced: AdvancedValues;
  onAdvanced(values: AdvancedValues): void;
  namespaceProblem: string | undefined;
  allowedNamespaces: readonly string[];
  capabilities: DeployerCapabilities | undefined;
  source: SourceKind;
  /** The form holds a name, a namespace and a source that can be sent. */
  ready: boolean;
  busy: DeployerTask | undefined;
  error: unknown;
  onPreview(): void;
  onDeploy(): void;
}

/** Workload, strategy, Ingress/HPA, and the Preview and Deploy buttons with what the target allows. */
export function SettingsCard(props: SettingsCardProps) {
  const { settings, onSetting, capabilities, busy, ready } = props;
  const offers = (strategy: Strategy) => !capabilities || capabilities.strategies.includes(strategy);
  const cannotDeploy = capabilities ? !capabilities.can_deploy_source : false;
  const deployLabel = capabilities?.target === 'kubernetes' ? 'Deploy to K8s' : 'Deploy';
  const strategyNote = (strategy: Strategy) => (offers(strategy) ? '' : ' (needs a Kubernetes cluster)');

  return (
    <section className="card" aria-labelledby="settings-title">
      <h2 id="settings-title">Deploy Settings</h2>
      <div className="form-grid four">
        <Field id="dep-kind" label="Workload Kind">
          <Select<WorkloadKind>
            value={settings.k8s_kind}
            onValue={(k8s_kind) => onSetting({ k8s_kind })}
            testId="deploy-kind"
          >
            <option value="Deployment">Deployment</option>
            <option value="ReplicaSet">ReplicaSet</option>
          </Select>
        </Field>
        <Field id="dep-replicas" label="Replicas">
          <NumberInput
            min={1}
            max={50}
            value={settings.replicas}
            onValue={(replicas) => onSetting({ replicas })}
            testId="deploy-replicas"
          />
        </Field>
        <Field id="dep-service" label="Service Type">
          <Select<ServiceType>
            value={settings.service_type}
            onValue={(service_type) => onSetting({ service_type })}
            testId="deploy-service-type"
          >
            <option value="NodePort">NodePort</option>
            <option value="ClusterIP">ClusterIP</option>
            <option value="LoadBalancer">LoadBalancer</option>
          </Select>
        </Field>
        <Field id="dep-port" label="Container port">
          <NumberInput
            min={1}
            max={65535}
            value={settings.container_port}
            onValue={(container_port) => onSetting({ container_port })}
            testId="deploy-port"
          />
        </Field>
        <Field id="dep-namespace" label="Namespace" error={props.namespaceProblem}>
          <Input
            value={settings.namespace}
            onValue={(namespace) => onSetting({ namespace })}
            list="dep-namespaces"
            verbatim
            testId="deploy-namespace"
          />
          <datalist id="dep-namespaces">
            {props.allowedNamespaces.map((namespace) => (
              <option key={namespace} value={namespace} />
            ))}
          </datalist>
        </Field>
        <Field id="dep-strategy" label="Strategy">
          <Select<Strategy>
            value={settings.strategy}
            onValue={(strategy) => onSetting({ strategy })}
            testId="deploy-strategy"
          >
            <option value="rolling">Rolling update</option>
            <option value="blue-green" disabled={!offers('blue-green')}>
              Blue-green{strategyNote('blue-green')}
            </option>
            <option value="canary" disabled={!offers('canary')}>
              Canary{strategyNote('canary')}
            </option>
          </Select>
        </Field>
        {settings.strategy === 'canary' ? (
          <Field id="dep-canary" label="Canary share (%)">
            <NumberInput
              min={1}
              max={99}
              value={settings.canary_percent ?? 20}
              onValue={(canary_percent) => onSetting({ canary_percent })}
              testId="deploy-canary-percent"
            />
          </Field>
        ) : null}
      </div>
      <AdvancedSettings
        values={props.advanced}
        onChange={props.onAdvanced}
        strategy={settings.strategy}
        applies={capabilities?.ingress_autoscaling}
        notes={capabilities?.notes ?? []}
      />
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={props.onPreview}
          disabled={busy !== undefined || !ready}
          data-testid="deploy-preview"
        >
          {busy === 'preview' ? 'Rendering…' : 'Preview manifests'}
        </button>
        <button
          type="button"
          className="button primary"
          onClick={props.onDeploy}
          disabled={busy !== undefined || !ready || cannotDeploy}
          aria-describedby={cannotDeploy ? 'deploy-blocked' : undefined}
          data-testid="deploy-submit"
        >
          {busy === 'deploy' ? 'Starting…' : deployLabel}
        </button>
        {!ready ? (
          <span className="muted small-text">
            Give an app name and {props.source === 'code' ? 'paste the code' : 'a repository URL'} to deploy.
          </span>
        ) : null}
      </div>
      <TargetNotes capabilities={capabilities} />
      <ErrorNotice error={props.error} testId="deploy-error" />
    </section>
  );
}

/** Where deploys go and what builds them; what stops a deploy, named before the user tries one. */
function TargetNotes({ capabilities }: { capabilities: DeployerCapabilities | undefined }) {
  if (!capabilities) return null;
  return (
    <>
      <p className="muted small-text" data-testid="deploy-target">
        Deploys to {capabilities.target === 'kubernetes' ? 'the Kubernetes cluster' : 'this machine (podman)'}
        {capabilities.builder ? `, builds with ${capabilities.builder}` : ''}.
      </p>
      {capabilities.problems.length > 0 ? (
        <p className="notice notice-error" id="deploy-blocked" data-testid="deploy-blocked">
          {capabilities.problems.join(' ')}
        </p>
      ) : null}
    </>
  );
}
