import type { HttpClient } from './http.ts';

export interface LoginInput {
  access_key: string;
  secret_key: string;
  region: string;
}

export interface LoginResult {
  success: boolean;
  username: string;
  token: string;
}

export interface CurrentUser {
  logged_in: boolean;
  username: string;
  arn: string;
  account: string;
  region: string;
  roles: string[];
}

/** `GET /api/auth/options`: how sign-in is configured. */
export interface SignInOptions {
  /** True when no allow-list is set and any AWS account whose keys STS accepts may sign in. */
  any_account: boolean;
}

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
