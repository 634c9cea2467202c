import type { DeploySettings } from '../../api/deployer.ts';
import { Field, Input, NumberInput } from '../../components/field.tsx';
import type { AdvancedValues } from './deploy-form.ts';

export interface AdvancedSettingsProps {
  values: AdvancedValues;
  onChange: (values: AdvancedValues) => void;
  /** Ingress and autoscaling come with the rolling strategy only. */
  strategy: DeploySettings['strategy'];
  /** From the capabilities: whether this deployer applies them (a cluster) or only previews them. */
  applies: boolean | undefined;
  notes: readonly string[];
}

/**
 * Ingress (host, path, TLS secret) and autoscaling (min/max replicas, CPU target). On the podman target the
 * fields stay usable for Preview, and the note says that a deploy there refuses them.
 */
export function AdvancedSettings({ values, onChange, strategy, applies, notes }: AdvancedSettingsProps) {
  const set = <K extends keyof AdvancedValues>(key: K, value: AdvancedValues[K]) =>
    onChange({ ...values, [key]: value });
  const rolling = strategy === 'rolling';
  return (
    <fieldset className="advanced-settings" data-testid="deploy-advanced">
      <legend>Ingress and autoscaling (Kubernetes)</legend>
      {applies === false
        ? notes.map((note) => (
            <p key={note} className="notice" data-testid="deploy-advanced-note">
              {note}
            </p>
          ))
        : null}
      {!rolling ? (
        <p className="muted small-text">
          Ingress and autoscaling come with the rolling strategy; blue-green and canary manage their own
          objects.
        </p>
      ) : null}
      <label className="checkbox">
        <input
          type="checkbox"
          checked={values.ingressOn && rolling}
          disabled={!rolling}
          onChange={(event) => set('ingressOn', event.target.checked)}
          data-testid="deploy-ingress-on"
        />{' '}
        Expose with an Ingress
      </label>
      {values.ingressOn && rolling ? (
        <div className="form-grid four">
          <Field id="dep-ingress-host" label="Host" required>
            <Input
              value={values.host}
              onValue={(value) => set('host', value)}
              placeholder="app.example.com"
              verbatim
              testId="deploy-ingress-host"
            />
          </Field>
          <Field id="dep-ingress-path" label="Path">
            <Input
              value={values.path}
              onValue={(value) => set('path', value)}
              verbatim
              testId="deploy-ingress-path"
            />
          </Field>
          <Field
            id="dep-ingress-tls"
            label="TLS secret (optional)"
            hint="A Secret of type kubernetes.io/tls in the namespace."
          >
            <Input
              value={values.tlsSecret}
              onValue={(value) => set('tlsSecret', value)}
              verbatim
              testId="deploy-ingress-tls"
            />
          </Field>
        </div>
      ) : null}
      <label className="checkbox">
        <input
          type="checkbox"
          checked={values.autoscaleOn && rolling}
          disabled={!rolling}
          onChange={(event) => set('autoscaleOn', event.target.checked)}
          data-testid="deploy-hpa-on"
        />{' '}
        Autoscale on CPU (HorizontalPodAutoscaler)
      </label>
      {values.autoscaleOn && rolling ? (
        <div className="form-grid four">
          <Field id="dep-hpa-min" label="Min replicas">
            <NumberInput
              min={1}
              max={100}
              value={values.minReplicas}
              onValue={(value) => set('minReplicas', value)}
              testId="deploy-hpa-min"
            />
          </Field>
          <Field id="dep-hpa-max" label="Max replicas">
            <NumberInput
              min={1}
              max={100}
              value={values.maxReplicas}
              onValue={(value) => set('maxReplicas', value)}
              testId="deploy-hpa-max"
            />
          </Field>
          <Field id="dep-hpa-cpu" label="CPU target (%)">
            <NumberInput
              min={1}
              max={100}
              value={values.cpuPercent}
              onValue={(value) => set('cpuPercent', value)}
              testId="deploy-hpa-cpu"
            />
          </Field>
        </div>
      ) : null}
    </fieldset>
  );
}
