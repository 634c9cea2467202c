import type { CurrentUser, LoginBody, LoginResult, SignInOptions } from '@ashapp/contracts/gateway';
import type { HttpClient } from './http.ts';

export type { CurrentUser, LoginResult, SignInOptions };

/** What the sign-in form sends: the gateway's login body with the fields the form always fills. */
export type LoginInput = Required<Pick<LoginBody, 'access_key' | 'secret_key' | 'region'>>;

export interface AuthClient {
  getSignInOptions(): Promise<SignInOptions>;
  login(input: LoginInput): Promise<LoginResult>;
  logout(): Promise<void>;
  /** Resolves to the signed-in user; rejects with a 401 ApiError when nobody is signed in. */
  getUser(options?: { redirectOn401?: boolean }): Promise<CurrentUser>;
}

export function isAdmin(user: Pick<CurrentUser, 'roles'> | null | undefined): boolean {
  return Array.isArray(user?.roles) && user.roles.includes('admin');
}

export function createAuthClient(http: HttpClient): AuthClient {
  return {
    getSignInOptions: () => http.json<SignInOptions>('/api/auth/options', { redirectOn401: false }),
    login: (input) =>
      http.json<LoginResult>('/api/login', { method: 'POST', body: input, redirectOn401: false }),
    async logout() {
      await http.request('/api/logout', { method: 'POST', body: {}, redirectOn401: false });
    },
    getUser: (options) =>
      http.json<CurrentUser>('/api/user', { redirectOn401: options?.redirectOn401 ?? true }),
  };
}
