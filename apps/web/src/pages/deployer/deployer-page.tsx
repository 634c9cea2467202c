import { useCallback, useReducer, useState } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import type { DeploySettings, ValidationResult } from '../../api/deployer.ts';
import {
  buildDeployRequest,
  checkDeployForm,
  initialDeployForm,
  reduceDeployForm,
  type AdvancedValues,
} from './deploy-form.ts';
import { DeployProgress, DeployResult, type DeployOutcome } from './deploy-progress.tsx';
import { DeploymentsList } from './deployments-list.tsx';
import { ManifestPreview } from './manifest-preview.tsx';
import { RegistryCard } from './registry-card.tsx';
import { SettingsCard, type DeployerTask } from './settings-card.tsx';
import { SourceCard } from './source-card.tsx';
import { useDeployerOptions } from './use-deployer-options.ts';

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
  const [form, dispatch] = useReducer(reduceDeployForm, initialDeployForm);
  const { capabilities, allowedNamespaces } = useDeployerOptions(dispatch);
  const [validation, setValidation] = useState<ValidationResult | undefined>(undefined);
  const [manifests, setManifests] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<DeployerTask | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [deploymentId, setDeploymentId] = useState<string | undefined>(undefined);
  const [syncOutcome, setSyncOutcome] = useState<DeployOutcome | undefined>(undefined);
  const [listVersion, setListVersion] = useState(0);
  const { nameProblem, namespaceProblem, ready } = checkDeployForm(form);

  // A changed setting makes an earlier error about the old settings misleading: it goes with them.
  const changeSetting = (patch: Partial<DeploySettings>) => {
    setError(undefined);
    dispatch({ type: 'setting', patch });
  };
  const changeAdvanced = (values: AdvancedValues) => {
    setError(undefined);
    dispatch({ type: 'advanced', values });
  };

  /** Runs one request at a time; its failure shows under the settings. */
  const runTask = async (task: DeployerTask, work: () => Promise<void>) => {
    setBusy(task);
    setError(undefined);
    try {
      await work();
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(undefined);
    }
  };

  const validate = () =>
    runTask('validate', async () => {
      setValidation(undefined);
      const result = await api.deployer.validate({
        code: form.sourceValues.code,
        app_name: form.settings.app_name.trim(),
      });
      setValidation(result);
      if (result.valid && typeof result.port === 'number') changeSetting({ container_port: result.port });
    });

  const preview = () =>
    runTask('preview', async () => {
      setManifests((await api.deployer.preview(buildDeployRequest(form))).manifests);
    });

  const deploy = () =>
    runTask('deploy', async () => {
      setSyncOutcome(undefined);
      setDeploymentId(undefined);
      try {
        const accepted = await api.deployer.deploy(buildDeployRequest(form));
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
      } finally {
        // A refused deploy is recorded in the history too.
        notifyHistoryChanged();
      }
    });

  const onFinished = useCallback(() => {
    setListVersion((value) => value + 1);
    notifyHistoryChanged();
  }, [notifyHistoryChanged]);

  return (
    <div className="page">
      <h1 className="visually-hidden">Deployer</h1>
      <RegistryCard />
      <SourceCard
        appName={form.settings.app_name}
        nameProblem={nameProblem}
        onAppName={(app_name) => changeSetting({ app_name })}
        source={form.source}
        onSource={(source) => dispatch({ type: 'source', source })}
        values={form.sourceValues}
        onValue={(key, value) => dispatch({ type: 'source-value', key, value })}
        validation={validation}
        busy={busy !== undefined}
        validating={busy === 'validate'}
        onValidate={() => void validate()}
      />
      <SettingsCard
        settings={form.settings}
        onSetting={changeSetting}
        advanced={form.advanced}
        onAdvanced={changeAdvanced}
        namespaceProblem={namespaceProblem}
        allowedNamespaces={allowedNamespaces}
        capabilities={capabilities}
        source={form.source}
        ready={ready}
        busy={busy}
        error={error}
        onPreview={() => void preview()}
        onDeploy={() => void deploy()}
      />
      {manifests !== undefined ? (
        <ManifestPreview manifests={manifests} onClose={() => setManifests(undefined)} />
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
