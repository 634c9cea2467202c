import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from './api/index.ts';
import { App } from './app.tsx';
import { ROUTES, navigate } from './router.tsx';
import './styles/app.css';

function sendToLogin(): void {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname === ROUTES.login) return;
  navigate(`${ROUTES.login}?next=${encodeURIComponent(here)}`, { replace: true });
}

const api = createApi({ origin: window.location.origin, onUnauthenticated: sendToLogin });
const container = document.getElementById('root');
if (container) {
  createRoot(container).render(
    <StrictMode>
      <App api={api} />
    </StrictMode>,
  );
}
