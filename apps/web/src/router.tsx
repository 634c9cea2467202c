import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

// A tiny History API router: five pages do not need a package. Navigation dispatches a window event
// so every subscriber re-reads `location`; no state lives in this module.
const NAVIGATE_EVENT = 'ashapp:navigate';

export const ROUTES = {
  login: '/login',
  assistant: '/',
  deployer: '/deployer',
  activity: '/monitor',
  history: '/history',
} as const;

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

function readLocation(): string {
  return window.location.pathname + window.location.search;
}

/** Path plus query of the current location, re-rendering on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, readLocation, () => '/');
  const url = new URL(href, 'http://local');
  return { pathname: normalisePath(url.pathname), search: url.searchParams };
}

export function normalisePath(pathname: string): string {
  if (pathname.length > 1 && pathname.endsWith('/')) return pathname.replace(/\/+$/, '') || '/';
  return pathname;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === readLocation()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  window.scrollTo(0, 0);
}

/** Only a local absolute path may be a post-login destination (never `//host` or a URL). */
export function safeNextPath(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\'))
    return ROUTES.assistant;
  if (normalisePath(next.split('?')[0] ?? '') === ROUTES.login) return ROUTES.assistant;
  return next;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handleClick} {...rest} />;
}
