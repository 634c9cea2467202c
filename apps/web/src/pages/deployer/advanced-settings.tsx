import type { DeploySettings } from '../../api/deployer.ts';

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

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  children: React.ReactNode;
}

function Field({ id, label, hint, children }: FieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="muted small-text">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

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
          <Field id="dep-ingress-host" label="Host">
            <input
              id="dep-ingress-host"
              value={values.host}
              onChange={(event) => set('host', event.target.value)}
              placeholder="app.example.com"
              autoCapitalize="off"
              spellCheck={false}
              required
              data-testid="deploy-ingress-host"
            />
          </Field>
          <Field id="dep-ingress-path" label="Path">
            <input
              id="dep-ingress-path"
              value={values.path}
              onChange={(event) => set('path', event.target.value)}
              autoCapitalize="off"
              spellCheck={false}
              data-testid="deploy-ingress-path"
            />
          </Field>
          <Field
            id="dep-ingress-tls"
            label="TLS secret (optional)"
            hint="A Secret of type kubernetes.io/tls in the namespace."
          >
            <input
              id="dep-ingress-tls"
              value={values.tlsSecret}
              onChange={(event) => set('tlsSecret', event.target.value)}
              autoCapitalize="off"
              spellCheck={false}
              aria-describedby="dep-ingress-tls-hint"
              data-testid="deploy-ingress-tls"
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
            <input
              id="dep-hpa-min"
              type="number"
              min={1}
              max={100}
              value={values.minReplicas}
              onChange={(event) => set('minReplicas', Number(event.target.value))}
              data-testid="deploy-hpa-min"
            />
          </Field>
          <Field id="dep-hpa-max" label="Max replicas">
            <input
              id="dep-hpa-max"
              type="number"
              min={1}
              max={100}
              value={values.maxReplicas}
              onChange={(event) => set('maxReplicas', Number(event.target.value))}
              data-testid="deploy-hpa-max"
            />
          </Field>
          <Field id="dep-hpa-cpu" label="CPU target (%)">
            <input
              id="dep-hpa-cpu"
              type="number"
              min={1}
              max={100}
              value={values.cpuPercent}
              onChange={(event) => set('cpuPercent', Number(event.target.value))}
              data-testid="deploy-hpa-cpu"
            />
          </Field>
        </div>
      ) : null}
    </fieldset>
  );
}
