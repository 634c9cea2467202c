import { NotAuthenticatedError, UpstreamError } from '@ashapp/platform';
import type { RegistryCredentials } from './auth-file.ts';
import { validateRegistryHost } from '../validation/inputs.ts';

/** What users type for Docker Hub, and the host its v2 API really answers on. */
const dockerHubAliases = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);
export const dockerHubApiHost = 'registry-1.docker.io';

export interface RegistryHost {
  /** As images name it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  imageHost: string;
  /** Where the v2 API answers. */
  apiHost: string;
}

/** Normalises a registry host; empty means Docker Hub. */
export function resolveRegistryHost(value: unknown): RegistryHost {
  if (value === undefined || value === null || value === '')
    return { imageHost: 'docker.io', apiHost: dockerHubApiHost };
  const host = validateRegistryHost(value);
  if (dockerHubAliases.has(host)) return { imageHost: 'docker.io', apiHost: dockerHubApiHost };
  return { imageHost: host, apiHost: host };
}

export interface RegistrySignIn {
  registry: string;
  apiHost: string;
  /** How the registry asked to be authenticated; `none` when it answered without credentials. */
  scheme: 'basic' | 'bearer' | 'none';
}

export interface RegistrySignInChecker {
  /** Resolves when the registry accepts the credentials; NotAuthenticatedError when it refuses them. */
  verifyCredentials(request: {
    registry?: string;
    credentials: RegistryCredentials;
  }): Promise<RegistrySignIn>;
}

export interface RegistrySignInOptions {
  /** Hosts (with port) that may be reached over plain HTTP: DEPLOYER_INSECURE_REGISTRIES. */
  insecureRegistries: readonly string[];
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Www-Authenticate: Bearer realm="…",service="…",scope="…"` (RFC 7235 auth-params). */
export function parseAuthenticateHeader(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const p of (match[2] ?? '').matchAll(paramPattern)) {
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/**
 * Checks registry credentials against the registry's own v2 API, as `docker login` does: GET /v2/, then
 * answer its challenge — Basic directly, Bearer by fetching a token from the realm it names.
 */
export function createRegistrySignInChecker(options: RegistrySignInOptions): RegistrySignInChecker {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const insecure = new Set(options.insecureRegistries.map((h) => h.toLowerCase()));

  async function request(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      // Redirects are refused: following one would hand the Authorization header to wherever it points.
      return await doFetch(url, { headers, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new UpstreamError(`registry ${new URL(url).host} is unreachable: ${(err as Error).message}`);
    }
  }

  return {
    async verifyCredentials({ registry, credentials }) {
      const host = resolveRegistryHost(registry);
      if (!credentials.username || !credentials.password) {
        throw new NotAuthenticatedError('registry user name and token are required');
      }
      const scheme = insecure.has(host.apiHost) ? 'http' : 'https';
      const base = `${scheme}://${host.apiHost}/v2/`;
      const first = await request(base, {});
      await first.body?.cancel();
      if (first.status === 200) return { registry: host.imageHost, apiHost: host.apiHost, scheme: 'none' };
      if (first.status !== 401) throw new UpstreamError(`registry answered ${first.status} to /v2/`);
      const challenge = parseAuthenticateHeader(first.headers.get('www-authenticate') ?? '');
      if (challenge?.scheme === 'basic') {
        const answer = await request(base, { authorization: basicHeader(credentials) });
        await answer.body?.cancel();
        if (answer.status === 200)
          return { registry: host.imageHost, apiHost: host.apiHost, scheme: 'basic' };
        if (answer.status === 401 || answer.status === 403)
          throw new NotAuthenticatedError('the registry refused the credentials');
        throw new UpstreamError(`registry answered ${answer.status} to /v2/`);
      }
      if (challenge?.scheme === 'bearer') {
        const realm = challenge.params.realm;
        if (!realm) throw new UpstreamError('registry sent a Bearer challenge without a realm');
        let realmUrl: URL;
        try {
          realmUrl = new URL(realm);
        } catch {
          throw new UpstreamError('registry sent an invalid token realm');
        }
        // Credentials go to the realm: only over TLS, unless operators listed that host as insecure.
        if (
          realmUrl.protocol !== 'https:' &&
          !(realmUrl.protocol === 'http:' && insecure.has(realmUrl.host))
        ) {
          throw new UpstreamError(`token realm ${realmUrl.origin} is not https and not listed as insecure`);
        }
        if (challenge.params.service) realmUrl.searchParams.set('service', challenge.params.service);
        if (challenge.params.scope) realmUrl.searchParams.set('scope', challenge.params.scope);
        realmUrl.searchParams.set('account', credentials.username);
        const tokenResponse = await request(realmUrl.toString(), { authorization: basicHeader(credentials) });
        if (tokenResponse.status === 401 || tokenResponse.status === 403) {
          await tokenResponse.body?.cancel();
          throw new NotAuthenticatedError('the registry refused the credentials');
        }
        if (tokenResponse.status !== 200) {
          await tokenResponse.body?.cancel();
          throw new UpstreamError(`token realm answered ${tokenResponse.status}`);
        }
        const body = (await tokenResponse.json().catch(() => ({}))) as {
          token?: unknown;
          access_token?: unknown;
        };
        const token =
          typeof body.token === 'string'
            ? body.token
            : typeof body.access_token === 'string'
              ? body.access_token
              : '';
        if (!token) throw new UpstreamError('token realm answered without a token');
        const answer = await request(base, { authorization: `Bearer ${token}` });
        await answer.body?.cancel();
        if (answer.status === 200)
          return { registry: host.imageHost, apiHost: host.apiHost, scheme: 'bearer' };
        if (answer.status === 401 || answer.status === 403)
          throw new NotAuthenticatedError('the registry refused the credentials');
        throw new UpstreamError(`registry answered ${answer.status} to /v2/`);
      }
      throw new UpstreamError('registry asked for an unsupported authentication scheme');
    },
  };
}
