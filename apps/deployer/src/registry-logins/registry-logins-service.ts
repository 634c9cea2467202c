import {
  InputError,
  openAwsCredentials,
  type AuditOutbox,
  type Identity,
  type SecretBox,
  type RequestMeta,
} from '@ashapp/platform';
import type { RegistryCredentials } from '../registry/auth-file.ts';
import type { EcrRegistryLogin, readEcrRegistryLogin } from '../registry/ecr-sign-in.ts';
import { resolveRegistryHost, type RegistrySignInChecker } from '../registry/registry-sign-in.ts';
import type { RegistryLoginsRepository } from './registry-logins-repository.ts';
import type { RegistryLoginBody } from '@ashapp/contracts/deployer';

/** Credentials for one registry, as the pipeline uses them for push and pull. */
export interface RegistrySession {
  registry: string;
  credentials: RegistryCredentials;
  /** Plain HTTP allowed: the host is in DEPLOYER_INSECURE_REGISTRIES. */
  insecure: boolean;
}

export interface RegistryStatus {
  signed_in: boolean;
  registry: string | null;
  username: string | null;
  expires_at?: string;
}

export interface RegistryLoginsService {
  login(
    caller: Identity,
    body: RegistryLoginBody,
    awsHeader: string | undefined,
    meta: RequestMeta,
  ): Promise<RegistryStatus>;
  logout(caller: Identity, meta: RequestMeta): Promise<void>;
  status(caller: Identity): Promise<RegistryStatus>;
  /** The caller's current sign-in with its secret, or undefined (none, or expired). */
  readSession(caller: Identity): Promise<RegistrySession | undefined>;
}

const ecrHost = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** Gateway sessions bind the sign-in; a bearer caller without one still gets a stable slot. */
function sessionOf(caller: Identity): string {
  return caller.sessionId ?? 'no-session';
}

function aadOf(caller: Identity): string {
  return `registry-login\n${caller.userId}\n${sessionOf(caller)}`;
}

export interface RegistryLoginsServiceOptions {
  repository: RegistryLoginsRepository;
  box: SecretBox;
  checker: RegistrySignInChecker;
  audit: AuditOutbox;
  internalSecret: string;
  insecureRegistries: readonly string[];
  ttlMs: number;
  ecrEndpoint?: string;
  /** Injected in tests; ECR's GetAuthorizationToken by default. */
  readEcrLogin?: typeof readEcrRegistryLogin;
  now?: () => number;
}

/**
 * Registry sign-in per user session: credentials are checked against the registry's own v2 API (or, for
 * Amazon ECR, obtained from ECR with the user's AWS session), then kept sealed (AES-256-GCM, bound to the
 * user and session) until they expire or the user signs out. The token never leaves this service again
 * except inside a temporary auth file handed to buildah/podman.
 */
export function createRegistryLoginsService(options: RegistryLoginsServiceOptions): RegistryLoginsService {
  const now = options.now ?? Date.now;
  const insecure = new Set(options.insecureRegistries);
  // The AWS SDK is loaded on the first ECR sign-in, not at start-up: most deployers never use it.
  const readEcr: typeof readEcrRegistryLogin =
    options.readEcrLogin ??
    (async (input) => (await import('../registry/ecr-sign-in.ts')).readEcrRegistryLogin(input));

  async function signInToEcr(
    caller: Identity,
    requested: string,
    awsHeader: string | undefined,
  ): Promise<EcrRegistryLogin> {
    const aws = openAwsCredentials(awsHeader, options.internalSecret, caller.requestId);
    const region = ecrHost.exec(requested)?.[2] ?? aws.region;
    const login = await readEcr({
      region,
      credentials: {
        accessKeyId: aws.accessKeyId,
        secretAccessKey: aws.secretAccessKey,
        ...(aws.sessionToken ? { sessionToken: aws.sessionToken } : {}),
      },
      ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}),
    });
    if (requested !== 'ecr' && login.registry !== requested) {
      throw new InputError(
        `registry: the signed-in AWS account's registry is ${login.registry}, not ${requested}`,
        {
          field: 'registry',
        },
      );
    }
    return login;
  }

  return {
    async login(caller, body, awsHeader, meta) {
      const requested = (body.registry ?? '').trim().toLowerCase();
      let registry: string;
      let credentials: RegistryCredentials;
      let expiresAt = now() + options.ttlMs;
      if (requested === 'ecr' || ecrHost.test(requested)) {
        const login = await signInToEcr(caller, requested, awsHeader);
        registry = login.registry;
        credentials = { username: login.username, password: login.password };
        if (login.expiresAt) expiresAt = Math.min(expiresAt, login.expiresAt.getTime());
      } else {
        if (!body.docker_user.trim())
          throw new InputError('docker_user: is required', { field: 'docker_user' });
        if (!body.docker_token) throw new InputError('docker_token: is required', { field: 'docker_token' });
        const host = resolveRegistryHost(requested || undefined);
        credentials = { username: body.docker_user.trim(), password: body.docker_token };
        const verified = await options.checker.verifyCredentials({ registry: host.imageHost, credentials });
        registry = verified.registry;
      }
      await options.repository.save({
        user_id: caller.userId,
        session_id: sessionOf(caller),
        registry,
        username: credentials.username,
        sealed: options.box.seal(JSON.stringify(credentials), aadOf(caller)),
        created_at: now(),
        expires_at: expiresAt,
      });
      await options.audit.record({
        user_id: caller.userId,
        endpoint: meta.endpoint,
        action_type: 'registry.login',
        request_data: { registry, docker_user: credentials.username },
        response_summary: { signed_in: true },
        ip_address: meta.ip,
        ...(meta.userAgent ? { user_agent: meta.userAgent } : {}),
        request_id: caller.requestId,
      });
      return {
        signed_in: true,
        registry,
        username: credentials.username,
        expires_at: new Date(expiresAt).toISOString(),
      };
    },

    async logout(caller, meta) {
      const removed = await options.repository.remove(caller.userId, sessionOf(caller));
      await options.audit.record({
        user_id: caller.userId,
        endpoint: meta.endpoint,
        action_type: 'registry.logout',
        request_data: {},
        response_summary: { signed_out: removed },
        ip_address: meta.ip,
        ...(meta.userAgent ? { user_agent: meta.userAgent } : {}),
        request_id: caller.requestId,
      });
    },

    async status(caller) {
      const row = await options.repository.get(caller.userId, sessionOf(caller));
      if (!row || row.expires_at <= now()) return { signed_in: false, registry: null, username: null };
      return {
        signed_in: true,
        registry: row.registry,
        username: row.username,
        expires_at: new Date(row.expires_at).toISOString(),
      };
    },

    async readSession(caller) {
      const row = await options.repository.get(caller.userId, sessionOf(caller));
      if (!row || row.expires_at <= now()) return undefined;
      const credentials = JSON.parse(options.box.open(row.sealed, aadOf(caller))) as RegistryCredentials;
      const apiHost = resolveRegistryHost(row.registry).apiHost;
      return {
        registry: row.registry,
        credentials,
        insecure: insecure.has(row.registry) || insecure.has(apiHost),
      };
    },
  };
}
