import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  readBaseServiceConfig,
  readEnv,
  readOrCreateSecretFile,
  secret,
  type BaseServiceConfig,
  type Env,
  type ServiceName,
} from '@ashapp/platform';
import { Type } from 'typebox';
import { createSignInPolicy, isLoopbackHost } from './auth/sign-in-policy.ts';

export interface RateLimitRule {
  readonly max: number;
  readonly windowMs: number;
}

export type ForwardedService = Exclude<ServiceName, 'gateway'>;

export interface GatewayConfig extends BaseServiceConfig {
  /** STS endpoint override (`AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`); undefined = AWS itself. */
  readonly stsEndpoint: string | undefined;
  readonly stsTimeoutMs: number;
  /** 32-byte AES-256-GCM key for credentials at rest. Secret. */
  readonly sessionEncryptionKey: Buffer;
  readonly sessionIdleMs: number;
  readonly sessionAbsoluteMs: number;
  /**
   * How long a replica may use a session it read from the store without reading it again (0 = never
   * cached). Sign-out reaches other replicas through Redis pub/sub at once; this bounds a lost message.
   */
  readonly sessionCacheMs: number;
  /** `redis://…` for sessions and rate-limit counters shared by replicas. Secret (may hold a password). */
  readonly redisUrl: string | undefined;
  /** Fastify `trustProxy`: false, true (any proxy), or the proxies' addresses/CIDRs. */
  readonly trustProxy: boolean | string[];
  readonly adminArns: readonly string[];
  readonly adminAccounts: readonly string[];
  /** Account ids that may sign in (`SIGN_IN_ALLOWED_ACCOUNTS`); with the ARN patterns, the allow-list. */
  readonly signInAllowedAccounts: readonly string[];
  /** ARN patterns (`*`, `?` wildcards) that may sign in (`SIGN_IN_ALLOWED_ARNS`). */
  readonly signInAllowedArns: readonly string[];
  readonly rateLimits: {
    readonly perUser: RateLimitRule;
    readonly perIp: RateLimitRule;
    readonly login: RateLimitRule;
  };
  /** Extra origins (besides the gateway's own) allowed to post `/api/login` from a browser. */
  readonly allowedOrigins: readonly string[];
  readonly webDistDir: string;
  /** Largest forwarded request body in bytes, for any service. */
  readonly forwardBodyLimit: number;
  /**
   * Largest body per service, at most the service's own limit: the gateway answers 413 itself before
   * forwarding, so a service never cuts an upload short (which a proxy saw as a reset, a 503).
   */
  readonly serviceBodyLimits: Readonly<Record<ForwardedService, number>>;
  /** How long a service may take to start answering a forwarded call. */
  readonly forwardTimeoutMs: number;
}

const GatewayEnv = Type.Object({
  AWS_ENDPOINT_URL_STS: Type.Optional(Type.String({ minLength: 1 })),
  AWS_ENDPOINT_URL: Type.Optional(Type.String({ minLength: 1 })),
  STS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000 }),
  SESSION_ENCRYPTION_KEY: Type.Optional(secret(Type.String({ minLength: 32 }))),
  SESSION_IDLE_SECONDS: Type.Integer({ minimum: 1, default: 30 * 60 }),
  SESSION_ABSOLUTE_SECONDS: Type.Integer({ minimum: 1, default: 12 * 60 * 60 }),
  SESSION_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 5000 }),
  REDIS_URL: Type.Optional(secret(Type.String({ minLength: 1 }))),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  ADMIN_ARNS: Type.Optional(Type.String()),
  ADMIN_ACCOUNTS: Type.Optional(Type.String()),
  SIGN_IN_ALLOWED_ACCOUNTS: Type.Optional(Type.String()),
  SIGN_IN_ALLOWED_ARNS: Type.Optional(Type.String()),
  RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_USER_MAX: Type.Integer({ minimum: 1, default: 600 }),
  RATE_LIMIT_IP_MAX: Type.Integer({ minimum: 1, default: 1200 }),
  LOGIN_RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 300 }),
  LOGIN_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  ALLOWED_ORIGINS: Type.Optional(Type.String()),
  WEB_DIST_DIR: Type.Optional(Type.String({ minLength: 1 })),
  GATEWAY_FORWARD_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  // Defaults equal the services' own limits (assistant 256 KiB; deployer twice its code limits + 64 KiB;
  // history twice its 1 MiB output limit + 64 KiB; monitor 32 MiB, capped by the forward limit).
  GATEWAY_BODY_LIMIT_ASSISTANT_BYTES: Type.Integer({ minimum: 1024, default: 256 * 1024 }),
  GATEWAY_BODY_LIMIT_DEPLOYER_BYTES: Type.Integer({ minimum: 1024, default: 608 * 1024 }),
  GATEWAY_BODY_LIMIT_HISTORY_BYTES: Type.Integer({ minimum: 1024, default: 2112 * 1024 }),
  GATEWAY_BODY_LIMIT_MONITOR_BYTES: Type.Integer({ minimum: 1024, default: 32 * 1024 * 1024 }),
  GATEWAY_FORWARD_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 120_000 }),
});

function readList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Accepts 64 hex characters or base64/base64url of exactly 32 bytes. */
export function parseEncryptionKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) {
    throw new ConfigError(
      `${source} must be 32 bytes as 64 hex characters or base64 (got ${key.length} bytes)`,
    );
  }
  return key;
}

function parseTrustProxy(value: string | undefined): boolean | string[] {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return readList(value);
}

function defaultWebDist(): string {
  return fileURLToPath(new URL('../../web/dist', import.meta.url));
}

/** The gateway's configuration: the shared service settings plus sign-in, sessions, limits and routing. */
export function readGatewayConfig(env: Env): GatewayConfig {
  const base = readBaseServiceConfig('gateway', env);
  const own = readEnv(GatewayEnv, env);
  const sessionEncryptionKey = own.SESSION_ENCRYPTION_KEY
    ? parseEncryptionKey(own.SESSION_ENCRYPTION_KEY, 'SESSION_ENCRYPTION_KEY')
    : parseEncryptionKey(
        readOrCreateSecretFile(base.dataDir, 'session-encryption-key'),
        'the generated session key',
      );
  if (own.SESSION_IDLE_SECONDS > own.SESSION_ABSOLUTE_SECONDS) {
    throw new ConfigError('SESSION_IDLE_SECONDS must not exceed SESSION_ABSOLUTE_SECONDS');
  }
  const stsEndpoint = own.AWS_ENDPOINT_URL_STS ?? own.AWS_ENDPOINT_URL;
  if (stsEndpoint !== undefined && !/^https?:\/\//i.test(stsEndpoint)) {
    throw new ConfigError('AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL must be an http(s) URL');
  }
  const signInAllowedAccounts = readList(own.SIGN_IN_ALLOWED_ACCOUNTS);
  const signInAllowedArns = readList(own.SIGN_IN_ALLOWED_ARNS);
  // Validates every entry; the app builds the same policy from the frozen lists.
  const policy = createSignInPolicy({ accounts: signInAllowedAccounts, arnPatterns: signInAllowedArns });
  if (policy.allowsAnyAccount && !isLoopbackHost(base.host)) {
    throw new ConfigError(
      `HOST is ${base.host}, reachable from other machines, but no sign-in allow-list is set: anyone with ` +
        'any AWS account could sign in. Set SIGN_IN_ALLOWED_ACCOUNTS (12-digit account ids) and/or ' +
        'SIGN_IN_ALLOWED_ARNS (ARN patterns such as arn:aws:iam::111122223333:user/team/*), ' +
        'or listen on 127.0.0.1.',
    );
  }
  const window = own.RATE_LIMIT_WINDOW_SECONDS * 1000;
  return Object.freeze({
    ...base,
    stsEndpoint,
    stsTimeoutMs: own.STS_TIMEOUT_MS,
    sessionEncryptionKey,
    sessionIdleMs: own.SESSION_IDLE_SECONDS * 1000,
    sessionAbsoluteMs: own.SESSION_ABSOLUTE_SECONDS * 1000,
    sessionCacheMs: own.SESSION_CACHE_MS,
    redisUrl: own.REDIS_URL,
    trustProxy: parseTrustProxy(own.TRUST_PROXY),
    adminArns: Object.freeze(readList(own.ADMIN_ARNS)),
    adminAccounts: Object.freeze(readList(own.ADMIN_ACCOUNTS)),
    signInAllowedAccounts: Object.freeze(signInAllowedAccounts),
    signInAllowedArns: Object.freeze(signInAllowedArns),
    rateLimits: Object.freeze({
      perUser: { max: own.RATE_LIMIT_USER_MAX, windowMs: window },
      perIp: { max: own.RATE_LIMIT_IP_MAX, windowMs: window },
      login: { max: own.LOGIN_RATE_LIMIT_MAX, windowMs: own.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000 },
    }),
    allowedOrigins: Object.freeze(readList(own.ALLOWED_ORIGINS).map((o) => o.replace(/\/+$/, ''))),
    webDistDir: own.WEB_DIST_DIR ?? defaultWebDist(),
    forwardBodyLimit: own.GATEWAY_FORWARD_BODY_LIMIT_BYTES,
    serviceBodyLimits: Object.freeze({
      assistant: Math.min(own.GATEWAY_BODY_LIMIT_ASSISTANT_BYTES, own.GATEWAY_FORWARD_BODY_LIMIT_BYTES),
      deployer: Math.min(own.GATEWAY_BODY_LIMIT_DEPLOYER_BYTES, own.GATEWAY_FORWARD_BODY_LIMIT_BYTES),
      history: Math.min(own.GATEWAY_BODY_LIMIT_HISTORY_BYTES, own.GATEWAY_FORWARD_BODY_LIMIT_BYTES),
      monitor: Math.min(own.GATEWAY_BODY_LIMIT_MONITOR_BYTES, own.GATEWAY_FORWARD_BODY_LIMIT_BYTES),
    }),
    forwardTimeoutMs: own.GATEWAY_FORWARD_TIMEOUT_MS,
  });
}

/** What may be logged at start-up: everything except key material and URLs that may hold passwords. */
export function describeGatewayConfig(config: GatewayConfig): Record<string, unknown> {
  return {
    port: config.port,
    host: config.host,
    dataDir: config.dataDir,
    stsEndpoint: config.stsEndpoint ?? 'aws',
    sessionStore: config.redisUrl ? 'redis' : 'database',
    sessionIdleMs: config.sessionIdleMs,
    sessionAbsoluteMs: config.sessionAbsoluteMs,
    sessionCacheMs: config.sessionCacheMs,
    trustProxy: config.trustProxy,
    adminArns: config.adminArns.length,
    adminAccounts: config.adminAccounts.length,
    signIn:
      config.signInAllowedAccounts.length + config.signInAllowedArns.length === 0
        ? 'any AWS account (no allow-list)'
        : { accounts: config.signInAllowedAccounts.length, arnPatterns: config.signInAllowedArns.length },
    rateLimits: config.rateLimits,
    webDistDir: config.webDistDir,
    serviceUrls: config.serviceUrls,
  };
}
