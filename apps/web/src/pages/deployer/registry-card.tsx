import { useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../../api-context.tsx';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { Field, Input } from '../../components/field.tsx';
import { formatTimestamp } from '../../components/format.ts';

const DOCKER_HUB = 'docker.io';

/** Registry sign-in. The deployer keeps the credentials server-side; this card only remembers who. */
export function RegistryCard() {
  const api = useApi();
  const [registry, setRegistry] = useState(DOCKER_HUB);
  const [user, setUser] = useState('');
  const [token, setToken] = useState('');
  const [signedIn, setSignedIn] = useState<{ registry: string; user: string; until?: string } | undefined>(
    undefined,
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  // Deploys keep pushing with the stored sign-in after a reload: show it, with its way out.
  useEffect(() => {
    let cancelled = false;
    api.deployer
      .registryStatus()
      .then((status) => {
        if (cancelled || !status.signed_in) return;
        setSignedIn({
          registry: status.registry ?? DOCKER_HUB,
          user: status.username ?? '',
          ...(status.expires_at ? { until: status.expires_at } : {}),
        });
      })
      .catch(() => {
        // Unknown status: the form stays, and signing in again replaces whatever is stored.
      });
    return () => {
      cancelled = true;
    };
  }, [api]);

  // Called as `void login(event)` from the form, which cannot await: it catches every error and shows it.
  const login = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const host = registry.trim() || DOCKER_HUB;
      const answer = (await api.deployer.registryLogin({
        docker_user: user.trim(),
        docker_token: token,
        registry: host,
      })) as { expires_at?: unknown } | undefined;
      const until = typeof answer?.expires_at === 'string' ? answer.expires_at : undefined;
      setSignedIn({ registry: host, user: user.trim(), ...(until ? { until } : {}) });
      setToken('');
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  const logout = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.deployer.registryLogout();
      setSignedIn(undefined);
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  const hubName = (host: string) => (host === DOCKER_HUB ? 'Docker Hub' : host);
  return (
    <section className="card" aria-labelledby="registry-title" data-testid="registry-card">
      <div className="card-head">
        <h2 id="registry-title">Registry sign-in</h2>
        {signedIn ? (
          <button
            type="button"
            className="button primary small"
            onClick={() => void logout()}
            disabled={busy}
            data-testid="registry-logout"
          >
            Registry Logout
          </button>
        ) : null}
      </div>
      <div aria-live="polite">
        {signedIn ? (
          <p className="notice notice-ok" data-testid="registry-status">
            Signed in to {hubName(signedIn.registry)} as <strong>{signedIn.user}</strong>
            {signedIn.until ? <> until {formatTimestamp(signedIn.until)}</> : null}. Deploys push with this
            sign-in.
          </p>
        ) : null}
      </div>
      {!signedIn ? (
        <form className="form-grid" onSubmit={(event) => void login(event)}>
          <Field id="reg-host" label="Registry">
            <Input
              value={registry}
              onValue={setRegistry}
              placeholder="docker.io, ghcr.io, registry.example.com:5000"
              verbatim
              testId="registry-host"
            />
          </Field>
          <Field id="reg-user" label="Username">
            <Input value={user} onValue={setUser} autoComplete="username" verbatim testId="registry-user" />
          </Field>
          <Field id="reg-token" label="Token or password">
            <Input
              type="password"
              value={token}
              onValue={setToken}
              autoComplete="current-password"
              testId="registry-token"
            />
          </Field>
          <div className="button-row end">
            <button
              type="submit"
              className="button primary"
              disabled={busy || !user.trim() || !token}
              data-testid="registry-login"
            >
              {busy ? 'Signing in…' : `Login to ${hubName(registry.trim() || DOCKER_HUB)}`}
            </button>
          </div>
        </form>
      ) : null}
      <ErrorNotice error={error} testId="registry-error" />
    </section>
  );
}
