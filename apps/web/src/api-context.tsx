import { createContext, useContext } from 'react';
import type { Api } from './api/index.ts';
import type { CurrentUser } from './api/auth.ts';

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

export interface SessionValue {
  user: CurrentUser;
  /** Increments whenever history may have new entries, so open history views reload. */
  historyVersion: number;
  notifyHistoryChanged(): void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionContext');
  return session;
}
