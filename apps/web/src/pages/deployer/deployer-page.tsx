import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import type {
  DeployerCapabilities,
  DeployRequest,
  DeploySettings,
  ServiceType,
  Strategy,
  ValidationResult,
  WorkloadKind,
} from '../../api/deployer.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import {
  AdvancedSettings,
  initialAdvancedValues,
  readAdvancedRequest,
  type AdvancedValues,
} from './advanced-settings.tsx';
import { RegistryCard } from './registry-card.tsx';
import { DeployProgress, DeployResult, type DeployOutcome } from './deploy-progress.tsx';
import { DeploymentsList } from './deployments-list.tsx';

type SourceKind = 'code' | 'git';

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const EXAMPLE_APP = `from flask import Flask

app = Flask(__name__)

@app.route("/<name>")
def hello(name):
    return f"Hello, {name}!"

if __name__ == "__main__":
    # Runs on port 5000 (can be changed)
    app.run(host="0.0.0.0", port=5000, debug=True)
`;

/** Kubernetes object names (RFC 1123 labels); the deployer checks again, this only helps early. */
export function checkKubernetesName(value: string, what: string): string | undefined {
  if (!value) return `${what} is required.`;
  if (value.length > 63) return `${what} must be at most 63 characters.`;
  if (!K8S_NAME.test(value))
    return `${what} may hold lowercase letters, digits and dashes, starting and ending with a letter or digit.`;
  return undefined;
}

function readString(record: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

export function DeployerPage() {
  const api = useApi();
  const { notifyHistoryChanged } = useSession();
  const [source, setSource] = useState<SourceKind>('code');
  const [code, setCode] = useState('');
  const [requirements, setRequirements] = useState('');
  const [repoUrl, setRepoUrl] = useState('');
  const [ref, setRef] = useState('');
  const [imageName, setImageName] = useState('');
  const [tag, setTag] = useState('latest');
  const [settings, setSettings] = useState<DeploySettings>({
    app_name: '',
    k8s_kind: 'Deployment',
    replicas: 2,
    service_type: 'NodePort',
    container_port: 5000,
    namespace: 'default',
    strategy: 'rolling',
    canary_percent: 20,
  });
  const [advanced, setAdvanced] = useState<AdvancedValues>(initialAdvancedValues);
  const [validation, setValidation] = useState<ValidationResult | undefined>(undefined);
  const [manifests, setManifests] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<'validate' | 'preview' | 'deploy' | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [deploymentId, setDeploymentId] = useState<string | undefined>(undefined);
  const [syncOutcome, setSyncOutcome] = useState<DeployOutcome | undefined>(undefined);
  const [listVersion, setListVersion] = useState(0);

  const nameProblem = settings.app_name ? checkKubernetesName(settings.app_name, 'App name') : undefined;
  const namespaceProblem = checkKubernetesName(settings.namespace, 'Namespace');
  const [capabilities, setCapabilities] = useState<DeployerCapabilities | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    api.deployer
      .capabilities()
      .then((answer) => {
        if (!cancelled) setCapabilities(answer);
      })
      .catch(() => {
        // Unknown capabilities: everything stays offered and the deployer itself says what fails.
      });
    return () => {
      cancelled = true;
    };
  }, [api]);
  // The operator decides where apps may go: the form starts in an allowed namespace and lists them.
  const [allowedNamespaces, setAllowedNamespaces] = useState<string[]>([]);
  useEffect(() => {
    let cancelled = false;
    api.deployer
      .namespaces()
      .then((answer) => {
        if (cancelled) return;
        setAllowedNamespaces(answer.allowed);
        setSettings((current) =>
          answer.allowed.includes(current.namespace) ? current : { ...current, namespace: answer.default },
        );
      })
      .catch(() => {
        // Unknown: the deployer names the allowed namespaces when a deploy asks for another one.
      });
    return () => {
      cancelled = true;
    };
  }, [api]);
  const offers = (strategy: Strategy) => !capabilities || capabilities.strategies.includes(strategy);
  const cannotDeploy = capabilities ? !capabilities.can_deploy_source : false;
  const deployLabel = capabilities?.target === 'kubernetes' ? 'Deploy to K8s' : 'Deploy';

  // A changed setting makes an earlier error about the old settings misleading: it goes with them.
  const update = <K extends keyof DeploySettings>(key: K, value: DeploySettings[K]) => {
    setError(undefined);
    setSettings((current) => ({ ...current, [key]: value }));
  };

  const buildRequest = (): DeployRequest => {
    const base: DeploySettings = {
      ...settings,
      app_name: settings.app_name.trim(),
      namespace: settings.namespace.trim(),
    };
    if (base.strategy !== 'canary') delete base.canary_percent;
    if (base.strategy === 'rolling') Object.assign(base, readAdvancedRequest(advanced));
    if (source === 'code') return { ...base, code, ...(requirements.trim() ? { requirements } : {}) };
    return {
      ...base,
      repo_url: repoUrl.trim(),
      ...(ref.trim() ? { ref: ref.trim() } : {}),
      ...(imageName.trim() ? { image_name: imageName.trim() } : {}),
      ...(tag.trim() ? { tag: tag.trim() } : {}),
    };
  };

  const validate = async () => {
    setBusy('validate');
    setError(undefined);
    setValidation(undefined);
    try {
      const result = await api.deployer.validate({ code, app_name: settings.app_name.trim() });
      setValidation(result);
      if (result.valid && typeof result.port === 'number') update('container_port', result.port);
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(undefined);
    }
  };

  const preview = async () => {
    setBusy('preview');
    setError(undefined);
    try {
      setManifests((await api.deployer.preview(buildRequest())).manifests);
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(undefined);
    }
  };

  const deploy = async () => {
    setBusy('deploy');
    setError(undefined);
    setSyncOutcome(undefined);
    setDeploymentId(undefined);
    try {
      const accepted = await api.deployer.deploy(buildRequest());
      if (accepted.deployment_id) setDeploymentId(accepted.deployment_id);
      else {
        // An answer without a deployment id is the original's synchronous result.
        setSyncOutcome({
          state: readString(accepted, 'state') ?? (accepted.success === false ? 'Failed' : 'Stable'),
          image: readString(accepted, 'image'),
          url: readString(accepted, 'url', 'service_url_hint'),
          manifest: readString(accepted, 'manifest', 'applied_manifest'),
          error: readString(accepted, 'error'),
        });
        setListVersion((value) => value + 1);
      }
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(undefined);
      notifyHistoryChanged();
    }
  };

  const onFinished = useCallback(() => {
    setListVersion((value) => value + 1);
    notifyHistoryChanged();
  }, [notifyHistoryChanged]);

  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (
      event.key === 'ArrowRight' ||
      event.key === 'ArrowLeft' ||
      event.key === 'Home' ||
      event.key === 'End'
    ) {
      event.preventDefault();
      const next: SourceKind = source === 'code' ? 'git' : 'code';
      setSource(event.key === 'Home' ? 'code' : event.key === 'End' ? 'git' : next);
      document
        .getElementById(`source-tab-${event.key === 'Home' ? 'code' : event.key === 'End' ? 'git' : next}`)
        ?.focus();
    }
  };

  const sourceReady = source === 'code' ? code.trim().length > 0 : repoUrl.trim().length > 0;
  const ready =
    sourceReady && !checkKubernetesName(settings.app_name.trim(), 'App name') && !namespaceProblem;

  return (
    <div className="page">
      <h1 className="visually-hidden">Deployer</h1>
      <RegistryCard />

      <section className="card" aria-labelledby="source-title">
        <h2 id="source-title">Application source</h2>
        <div className="field">
          <label htmlFor="dep-app-name">App name</label>
          <input
            id="dep-app-name"
            value={settings.app_name}
            onChange={(event) => update('app_name', event.target.value)}
            placeholder="letters, numbers, dashes"
            autoCapitalize="off"
            spellCheck={false}
            aria-invalid={nameProblem ? true : undefined}
            aria-describedby={nameProblem ? 'dep-app-name-problem' : undefined}
            data-testid="deploy-app-name"
          />
          {nameProblem ? (
            <p id="dep-app-name-problem" className="field-problem">
              {nameProblem}
            </p>
          ) : null}
        </div>
        <div className="tablist" role="tablist" aria-label="Source">
          {(['code', 'git'] as const).map((kind) => (
            <button
              key={kind}
              id={`source-tab-${kind}`}
              type="button"
              role="tab"
              className="tab"
              aria-selected={source === kind}
              aria-controls={`source-panel-${kind}`}
              tabIndex={source === kind ? 0 : -1}
              onClick={() => setSource(kind)}
              onKeyDown={onTabKey}
              data-testid={`source-tab-${kind}`}
            >
              {kind === 'code' ? 'Paste code' : 'Git repository'}
            </button>
          ))}
        </div>
        <div
          id="source-panel-code"
          role="tabpanel"
          aria-labelledby="source-tab-code"
          hidden={source !== 'code'}
        >
          <div className="field">
            <div className="label-row">
              <label htmlFor="dep-code">Flask app.py</label>
              <button type="button" className="link-button small-text" onClick={() => setCode(EXAMPLE_APP)}>
                Insert example
              </button>
            </div>
            <textarea
              id="dep-code"
              className="mono code-input"
              rows={14}
              value={code}
              onChange={(event) => setCode(event.target.value)}
              placeholder="Paste your Flask app.py code here..."
              spellCheck={false}
              data-testid="deploy-code"
            />
          </div>
          <div className="field">
            <label htmlFor="dep-requirements">requirements.txt (optional)</label>
            <textarea
              id="dep-requirements"
              className="mono"
              rows={3}
              value={requirements}
              onChange={(event) => setRequirements(event.target.value)}
              placeholder="flask==3.0.3"
              spellCheck={false}
              data-testid="deploy-requirements"
            />
          </div>
          <div className="button-row">
            <button
              type="button"
              className="button primary"
              onClick={() => void validate()}
              disabled={busy !== undefined || !code.trim()}
              data-testid="deploy-validate"
            >
              {busy === 'validate' ? 'Validating…' : 'Validate'}
            </button>
            <div aria-live="polite" className="validation" data-testid="validation-result">
              {validation?.valid ? (
                <span className="ok-text">
                  Valid ✓{validation.app_object ? ` (app: ${validation.app_object})` : ''}
                  {typeof validation.port === 'number' ? `, port ${validation.port}` : ''}
                </span>
              ) : validation ? (
                <span className="error-text">Not valid{validation.error ? `: ${validation.error}` : ''}</span>
              ) : null}
            </div>
          </div>
          {validation && !validation.valid && validation.errors && validation.errors.length > 0 ? (
            <ul className="validation-errors" data-testid="validation-errors">
              {validation.errors.map((issue, index) => (
                <li key={index}>
                  {issue.line !== undefined ? (
                    <code>
                      {issue.line}:{issue.column ?? 0}
                    </code>
                  ) : null}{' '}
                  {issue.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <div
          id="source-panel-git"
          role="tabpanel"
          aria-labelledby="source-tab-git"
          hidden={source !== 'git'}
          className="form-grid"
        >
          <div className="field span-all">
            <label htmlFor="dep-repo">Repository URL</label>
            <input
              id="dep-repo"
              value={repoUrl}
              onChange={(event) => setRepoUrl(event.target.value)}
              placeholder="https://github.com/owner/repo.git"
              autoCapitalize="off"
              spellCheck={false}
              data-testid="deploy-repo-url"
            />
          </div>
          <div className="field">
            <label htmlFor="dep-ref">Ref (branch, tag or commit)</label>
            <input
              id="dep-ref"
              value={ref}
              onChange={(event) => setRef(event.target.value)}
              placeholder="main"
              autoCapitalize="off"
              spellCheck={false}
              data-testid="deploy-ref"
            />
          </div>
          <div className="field">
            <label htmlFor="dep-image">Image name</label>
            <input
              id="dep-image"
              value={imageName}
              onChange={(event) => setImageName(event.target.value)}
              placeholder="user/app"
              autoCapitalize="off"
              spellCheck={false}
              data-testid="deploy-image-name"
            />
          </div>
          <div className="field">
            <label htmlFor="dep-tag">Tag</label>
            <input
              id="dep-tag"
              value={tag}
              onChange={(event) => setTag(event.target.value)}
              autoCapitalize="off"
              spellCheck={false}
              data-testid="deploy-tag"
            />
          </div>
        </div>
      </section>

      <section className="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Deploy Settings</h2>
        <div className="form-grid four">
          <div className="field">
            <label htmlFor="dep-kind">Workload Kind</label>
            <select
              id="dep-kind"
              value={settings.k8s_kind}
              onChange={(event) => update('k8s_kind', event.target.value as WorkloadKind)}
              data-testid="deploy-kind"
            >
              <option value="Deployment">Deployment</option>
              <option value="ReplicaSet">ReplicaSet</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="dep-replicas">Replicas</label>
            <input
              id="dep-replicas"
              type="number"
              min={1}
              max={50}
              value={settings.replicas}
              onChange={(event) => update('replicas', Number(event.target.value))}
              data-testid="deploy-replicas"
            />
          </div>
          <div className="field">
            <label htmlFor="dep-service">Service Type</label>
            <select
              id="dep-service"
              value={settings.service_type}
              onChange={(event) => update('service_type', event.target.value as ServiceType)}
              data-testid="deploy-service-type"
            >
              <option value="NodePort">NodePort</option>
              <option value="ClusterIP">ClusterIP</option>
              <option value="LoadBalancer">LoadBalancer</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="dep-port">Container port</label>
            <input
              id="dep-port"
              type="number"
              min={1}
              max={65535}
              value={settings.container_port}
              onChange={(event) => update('container_port', Number(event.target.value))}
              data-testid="deploy-port"
            />
          </div>
          <div className="field">
            <label htmlFor="dep-namespace">Namespace</label>
            <input
              id="dep-namespace"
              value={settings.namespace}
              onChange={(event) => update('namespace', event.target.value)}
              list="dep-namespaces"
              autoCapitalize="off"
              spellCheck={false}
              aria-invalid={namespaceProblem ? true : undefined}
              aria-describedby={namespaceProblem ? 'dep-namespace-problem' : undefined}
              data-testid="deploy-namespace"
            />
            <datalist id="dep-namespaces">
              {allowedNamespaces.map((namespace) => (
                <option key={namespace} value={namespace} />
              ))}
            </datalist>
            {namespaceProblem ? (
              <p id="dep-namespace-problem" className="field-problem">
                {namespaceProblem}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="dep-strategy">Strategy</label>
            <select
              id="dep-strategy"
              value={settings.strategy}
              onChange={(event) => update('strategy', event.target.value as Strategy)}
              data-testid="deploy-strategy"
            >
              <option value="rolling">Rolling update</option>
              <option value="blue-green" disabled={!offers('blue-green')}>
                Blue-green{offers('blue-green') ? '' : ' (needs a Kubernetes cluster)'}
              </option>
              <option value="canary" disabled={!offers('canary')}>
                Canary{offers('canary') ? '' : ' (needs a Kubernetes cluster)'}
              </option>
            </select>
          </div>
          {settings.strategy === 'canary' ? (
            <div className="field">
              <label htmlFor="dep-canary">Canary share (%)</label>
              <input
                id="dep-canary"
                type="number"
                min={1}
                max={99}
                value={settings.canary_percent ?? 20}
                onChange={(event) => update('canary_percent', Number(event.target.value))}
                data-testid="deploy-canary-percent"
              />
            </div>
          ) : null}
        </div>
        <AdvancedSettings
          values={advanced}
          onChange={(values) => {
            setError(undefined);
            setAdvanced(values);
          }}
          strategy={settings.strategy}
          applies={capabilities?.ingress_autoscaling}
          notes={capabilities?.notes ?? []}
        />
        <div className="button-row">
          <button
            type="button"
            className="button"
            onClick={() => void preview()}
            disabled={busy !== undefined || !ready}
            data-testid="deploy-preview"
          >
            {busy === 'preview' ? 'Rendering…' : 'Preview manifests'}
          </button>
          <button
            type="button"
            className="button primary"
            onClick={() => void deploy()}
            disabled={busy !== undefined || !ready || cannotDeploy}
            aria-describedby={cannotDeploy ? 'deploy-blocked' : undefined}
            data-testid="deploy-submit"
          >
            {busy === 'deploy' ? 'Starting…' : deployLabel}
          </button>
          {!ready ? (
            <span className="muted small-text">
              Give an app name and {source === 'code' ? 'paste the code' : 'a repository URL'} to deploy.
            </span>
          ) : null}
        </div>
        {capabilities ? (
          <p className="muted small-text" data-testid="deploy-target">
            Deploys to{' '}
            {capabilities.target === 'kubernetes' ? 'the Kubernetes cluster' : 'this machine (podman)'}
            {capabilities.builder ? `, builds with ${capabilities.builder}` : ''}.
          </p>
        ) : null}
        {capabilities && capabilities.problems.length > 0 ? (
          <p className="notice notice-error" id="deploy-blocked" data-testid="deploy-blocked">
            {capabilities.problems.join(' ')}
          </p>
        ) : null}
        <ErrorNotice error={error} testId="deploy-error" />
      </section>

      {manifests !== undefined ? (
        <section className="card" aria-labelledby="preview-title" data-testid="deploy-preview-card">
          <div className="card-head">
            <h2 id="preview-title">Manifest preview</h2>
            <button type="button" className="button ghost small" onClick={() => setManifests(undefined)}>
              Close
            </button>
          </div>
          <pre className="code-block" tabIndex={0} data-testid="deploy-preview-manifests">
            {manifests}
          </pre>
        </section>
      ) : null}

      {deploymentId ? (
        <DeployProgress key={deploymentId} deploymentId={deploymentId} onFinished={onFinished} />
      ) : null}
      {syncOutcome ? (
        <section className="card" aria-label="Result">
          <h2>Result</h2>
          <DeployResult outcome={syncOutcome} />
        </section>
      ) : null}

      <DeploymentsList version={listVersion} onFinished={notifyHistoryChanged} />
    </div>
  );
}
