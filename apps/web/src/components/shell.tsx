import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useApi, useSession } from '../api-context.tsx';
import type { HistoryEntry } from '../api/history.ts';
import { Link, ROUTES, navigate } from '../router.tsx';
import { HistorySidebar } from './history-sidebar.tsx';
import { OutputView } from './output-view.tsx';
import { formatTimestamp } from './format.ts';

const TABS = [
  { to: ROUTES.assistant, label: 'ASHapp', testId: 'tab-assistant' },
  { to: ROUTES.deployer, label: 'Deployer', testId: 'tab-deployer' },
  { to: ROUTES.activity, label: 'Activity', testId: 'tab-activity' },
  { to: ROUTES.history, label: 'History', testId: 'tab-history' },
] as const;

export function Shell({ pathname, children }: { pathname: string; children: ReactNode }) {
  const api = useApi();
  const { user } = useSession();
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [selected, setSelected] = useState<HistoryEntry | undefined>(undefined);
  const [loggingOut, setLoggingOut] = useState(false);
  const closeSidebar = useCallback(() => setSidebarOpen(false), []);

  // A history entry shown over one page should not follow the user to the next.
  useEffect(() => setSelected(undefined), [pathname]);

  const selectEntry = useCallback((entry: HistoryEntry) => {
    setSelected(entry);
    // On narrow screens the sidebar covers the page; get it out of the way of the entry.
    if (window.matchMedia('(max-width: 900px)').matches) setSidebarOpen(false);
  }, []);

  // Called as `void logout()` from a click, which cannot await: it catches its errors and leaves either way.
  const logout = async () => {
    setLoggingOut(true);
    try {
      await api.auth.logout();
    } catch {
      // The session may already be gone; leaving for /login is right either way.
    }
    navigate(ROUTES.login, { replace: true });
  };

  return (
    <div className={sidebarOpen ? 'layout with-sidebar' : 'layout'}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <HistorySidebar
        id="history-sidebar"
        open={sidebarOpen}
        selectedId={selected?.id}
        onSelect={selectEntry}
        onClose={closeSidebar}
      />
      <div className="layout-main">
        <header className="app-header">
          <button
            type="button"
            className="burger"
            aria-label="Toggle history sidebar"
            aria-expanded={sidebarOpen}
            aria-controls="history-sidebar"
            onClick={() => setSidebarOpen((open) => !open)}
            data-testid="history-toggle"
          >
            <span aria-hidden="true">☰</span>
          </button>
          <Link to={ROUTES.assistant} className="brand">
            ASHapp <span aria-hidden="true">|</span> cloud made easy
          </Link>
          <nav className="tabs" aria-label="Main">
            {TABS.map((tab) => (
              <Link
                key={tab.to}
                to={tab.to}
                className="tab"
                aria-current={pathname === tab.to ? 'page' : undefined}
                data-testid={tab.testId}
              >
                {tab.label}
              </Link>
            ))}
          </nav>
          <div className="user-box">
            <span className="logged-in" data-testid="logged-in-as">
              Logged in as: <strong>{user.username}</strong>
              {user.roles.includes('admin') ? <span className="badge">admin</span> : null}
            </span>
            <button
              type="button"
              className="button danger small"
              onClick={() => void logout()}
              disabled={loggingOut}
              data-testid="logout"
            >
              Logout
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {selected ? (
            <section
              className="card history-detail page"
              aria-labelledby="history-detail-title"
              data-testid="history-detail"
            >
              <div className="card-head">
                <h2 id="history-detail-title">
                  {selected.query}{' '}
                  <span className="muted small-text">{formatTimestamp(selected.created_at)}</span>
                </h2>
                <button type="button" className="button ghost small" onClick={() => setSelected(undefined)}>
                  Close
                </button>
              </div>
              <OutputView text={selected.output} testId="history-detail-output" />
            </section>
          ) : null}
          {children}
        </main>
      </div>
    </div>
  );
}
