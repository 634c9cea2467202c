import { useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../../api-context.tsx';
import { describeError } from '../../api/http.ts';
import { Field, Input } from '../../components/field.tsx';
import { navigate, safeNextPath, useLocation } from '../../router.tsx';

export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-east-1',
  'me-south-1',
  'af-south-1',
];

export function LoginPage() {
  const api = useApi();
  const { search } = useLocation();
  const next = safeNextPath(search.get('next'));
  const [accessKey, setAccessKey] = useState('');
  const [secretKey, setSecretKey] = useState('');
  const [region, setRegion] = useState('us-east-1');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [anyAccount, setAnyAccount] = useState(false);

  useEffect(() => {
    let active = true;
    // Only a warning: when the options cannot be read the form still works.
    api.auth
      .getSignInOptions()
      .then((options) => {
        if (active) setAnyAccount(options.any_account);
      })
      .catch(() => undefined);
    return () => {
      active = false;
    };
  }, [api]);

  // Called as `void submit(event)` from the form, which cannot await: it catches every error and shows it.
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!accessKey.trim() || !secretKey) {
      setError('Enter your AWS access key ID and secret access key.');
      return;
    }
    setSubmitting(true);
    setError(undefined);
    try {
      await api.auth.login({
        access_key: accessKey.trim(),
        secret_key: secretKey,
        region: region.trim() || 'us-east-1',
      });
      setSecretKey('');
      navigate(next, { replace: true });
    } catch (cause) {
      setError(describeError(cause));
      setSubmitting(false);
    }
  };

  return (
    <main className="center-page" id="main">
      <form
        className="card login-card"
        onSubmit={(event) => void submit(event)}
        aria-labelledby="login-title"
        noValidate
        data-testid="login-form"
      >
        <h1 id="login-title">Login to AWS</h1>
        <p className="muted center">ASHapp | cloud made easy</p>
        {anyAccount ? (
          <p className="notice notice-warning" role="note" data-testid="login-any-account-warning">
            No sign-in allow-list is set: anyone with keys for any AWS account can sign in to this ASHapp.
            Fine on your own machine; set SIGN_IN_ALLOWED_ACCOUNTS or SIGN_IN_ALLOWED_ARNS before sharing it.
          </p>
        ) : null}
        <Field id="login-access-key" label="AWS Access Key ID" required>
          <Input
            name="access_key"
            autoComplete="username"
            verbatim
            placeholder="AKIA…"
            value={accessKey}
            onValue={setAccessKey}
            testId="login-access-key"
          />
        </Field>
        <Field id="login-secret-key" label="AWS Secret Access Key" required>
          <Input
            name="secret_key"
            type="password"
            autoComplete="current-password"
            value={secretKey}
            onValue={setSecretKey}
            testId="login-secret-key"
          />
        </Field>
        <Field id="login-region" label="Region">
          <Input
            name="region"
            list="login-regions"
            verbatim
            value={region}
            onValue={setRegion}
            testId="login-region"
          />
          <datalist id="login-regions">
            {REGIONS.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </Field>
        <div aria-live="assertive" className="live-slot" data-testid="login-error">
          {error ? <p className="notice notice-error">{error}</p> : null}
        </div>
        <button
          type="submit"
          className="button primary block"
          disabled={submitting}
          data-testid="login-submit"
        >
          {submitting ? 'Signing in…' : 'Login'}
        </button>
      </form>
    </main>
  );
}
