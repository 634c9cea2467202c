import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Api } from './api/index.ts';
import type { CurrentUser } from './api/auth.ts';
import { ApiError, describeError } from './api/http.ts';
import { ApiContext, SessionContext, type SessionValue } from './api-context.tsx';
import { ROUTES, navigate, useLocation } from './router.tsx';
import { Shell } from './components/shell.tsx';
import { LoginPage } from './pages/login/login-page.tsx';
import { AssistantPage } from './pages/assistant/assistant-page.tsx';
import { DeployerPage } from './pages/deployer/deployer-page.tsx';
import { ActivityPage } from './pages/activity/activity-page.tsx';
import { HistoryPage } from './pages/history/history-page.tsx';

const TITLES: Record<string, string> = {
  [ROUTES.login]: 'Sign in',
  [ROUTES.assistant]: 'Assistant',
  [ROUTES.deployer]: 'Deployer',
  [ROUTES.activity]: 'Activity',
  [ROUTES.history]: 'History',
};

function normaliseUser(user: CurrentUser): CurrentUser {
  return { ...user, roles: Array.isArray(user.roles) ? user.roles : [] };
}

function renderPage(pathname: string) {
  switch (pathname) {
    case ROUTES.assistant:
      return <AssistantPage />;
    case ROUTES.deployer:
      return <DeployerPage />;
    case ROUTES.activity:
      return <ActivityPage />;
    case ROUTES.history:
      return <HistoryPage />;
    default:
      return (
        <section className="card narrow">
          <h1>Page not found</h1>
          <p>There is no page at {pathname}.</p>
        </section>
      );
  }
}

export function App({ api }: { api: Api }) {
  const { pathname } = useLocation();
  const isLogin = pathname === ROUTES.login;
  const [user, setUser] = useState<CurrentUser | null>(null);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [historyVersion, setHistoryVersion] = useState(0);

  useEffect(() => {
    document.title = `${TITLES[pathname] ?? 'ASHapp'} · ASHapp | cloud made easy`;
  }, [pathname]);

  useEffect(() => {
    if (isLogin) {
      setUser(null);
      return;
    }
    if (user) return;
    let cancelled = false;
    setLoadError(undefined);
    api.auth
      .getUser()
      .then((answer) => {
        if (cancelled) return;
        if (answer.logged_in === false)
          navigate(`${ROUTES.login}?next=${encodeURIComponent(pathname)}`, { replace: true });
        else setUser(normaliseUser(answer));
      })
      .catch((error: unknown) => {
        // A 401 has already sent the user to /login.
        if (!cancelled && !(error instanceof ApiError && error.status === 401))
          setLoadError(describeError(error));
      });
    return () => {
      cancelled = true;
    };
  }, [api, isLogin, user, pathname]);

  const notifyHistoryChanged = useCallback(() => setHistoryVersion((version) => version + 1), []);
  const session = useMemo<SessionValue | null>(
    () => (user ? { user, historyVersion, notifyHistoryChanged } : null),
    [user, historyVersion, notifyHistoryChanged],
  );

  let content;
  if (isLogin) content = <LoginPage />;
  else if (session) {
    content = (
      <SessionContext.Provider value={session}>
        <Shell pathname={pathname}>{renderPage(pathname)}</Shell>
      </SessionContext.Provider>
    );
  } else if (loadError) {
    content = (
      <main className="center-page">
        <section className="card narrow" role="alert">
          <h1>ASHapp is not reachable</h1>
          <p>{loadError}</p>
          <button type="button" className="button primary" onClick={() => window.location.reload()}>
            Retry
          </button>
        </section>
      </main>
    );
  } else {
    content = (
      <main className="center-page">
        <p className="muted" role="status">
          Loading…
        </p>
      </main>
    );
  }
  return <ApiContext.Provider value={api}>{content}</ApiContext.Provider>;
}
