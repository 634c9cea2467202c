import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Marks a configuration field as secret: `describeConfig` shows it as `[secret]`, so it can be logged
 * at start-up without leaking.
 *
 * @example
 * const schema = Type.Object({ LLM_API_KEY: secret(Type.Optional(Type.String())) });
 */
export function secret<T extends TSchema>(schema: T): T {
  return { ...schema, 'x-secret': true } as T;
}

/**
 * Reads the environment against a schema once: unknown variables are ignored, strings are converted to the
 * schema's types, defaults are applied, and every problem is reported at once. Returns a frozen object.
 *
 * @example
 * const env = readEnv(Type.Object({ PORT: Type.Integer({ default: 8083 }) }), process.env);
 */
export function readEnv<S extends TObject>(schema: S, env: Env): Readonly<Static<S>> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    // An empty variable means "not set": operators often write `FOO=` to clear a value.
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const value = Value.Default(schema, Value.Convert(schema, picked));
  if (!Value.Check(schema, value)) {
    const problems = [...Value.Errors(schema, value)].map(
      (e) => `${e.instancePath.replace(/^\//, '') || '(root)'} ${e.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(value) as Readonly<Static<S>>;
}

/** A configuration problem found at start-up; the process should print it and exit. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The configuration with every secret field replaced, fit for a start-up log line. */
export function describeConfig(schema: TObject, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(schema.properties)) {
    const isSecret = (fieldSchema as Record<string, unknown>)['x-secret'] === true;
    if (config[key] === undefined) continue;
    out[key] = isSecret ? '[secret]' : config[key];
  }
  return out;
}

export const serviceNames = ['gateway', 'assistant', 'deployer', 'history', 'monitor'] as const;
export type ServiceName = (typeof serviceNames)[number];

export const defaultPorts: Readonly<Record<ServiceName, number>> = Object.freeze({
  gateway: 8080,
  assistant: 8081,
  deployer: 8082,
  history: 8083,
  monitor: 8084,
});

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
);

/** What every service reads from the environment, whatever else it needs. */
export interface BaseServiceConfig {
  readonly service: ServiceName;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `file:` path or bare path (SQLite), `mysql://`, `postgres://`. */
  readonly databaseUrl: string;
  /** HMAC key for identity assertions between the gateway and the services. Secret. */
  readonly internalAuthSecret: string;
  readonly logLevel: string;
  /** Share of successful requests that get an access-log line (`LOG_SUCCESS_SAMPLE_RATE`, 0–1, default 1). */
  readonly logSuccessSampleRate: number;
  /**
   * After SIGTERM, how long to keep serving (every answer with `Connection: close`) before closing the
   * listener: time for a balancer to stop sending new requests and for keep-alive clients to move on.
   */
  readonly shutdownDelayMs: number;
  /** Base URLs of every service, from `<SERVICE>_URL` or `http://127.0.0.1:<port>`. */
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
}

/**
 * Reads the settings shared by every service: `<SERVICE>_PORT`, `HOST`, `ASHAPP_DATA_DIR`,
 * `<SERVICE>_DATABASE_URL` (or `DATABASE_URL`), `INTERNAL_AUTH_SECRET` (generated once and kept in the data
 * folder when unset), `LOG_LEVEL`, `SHUTDOWN_DELAY_MS`, `<SERVICE>_URL` for each service.
 */
export function readBaseServiceConfig(service: ServiceName, env: Env): BaseServiceConfig {
  const upper = service.toUpperCase();
  const schema = Type.Object({
    [`${upper}_PORT`]: Type.Integer({ minimum: 0, maximum: 65535, default: defaultPorts[service] }),
    HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
    ASHAPP_DATA_DIR: Type.String({ minLength: 1, default: './data' }),
    [`${upper}_DATABASE_URL`]: Type.Optional(secret(Type.String({ minLength: 1 }))),
    DATABASE_URL: Type.Optional(secret(Type.String({ minLength: 1 }))),
    INTERNAL_AUTH_SECRET: Type.Optional(secret(Type.String({ minLength: 32 }))),
    LOG_LEVEL: { ...LogLevel, default: 'info' },
    LOG_SUCCESS_SAMPLE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
    SHUTDOWN_DELAY_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 0 }),
    ...Object.fromEntries(serviceNames.map((s) => [`${s.toUpperCase()}_URL`, Type.Optional(Type.String())])),
  });
  const raw = readEnv(schema, env) as Record<string, unknown>;
  const dataDir = path.resolve(String(raw.ASHAPP_DATA_DIR));
  const databaseUrl =
    (raw[`${upper}_DATABASE_URL`] as string | undefined) ??
    (raw.DATABASE_URL as string | undefined) ??
    `file:${path.join(dataDir, `${service}.sqlite`)}`;
  const serviceUrls = Object.fromEntries(
    serviceNames.map((s) => [
      s,
      String(raw[`${s.toUpperCase()}_URL`] ?? `http://127.0.0.1:${defaultPorts[s]}`).replace(/\/+$/, ''),
    ]),
  ) as Record<ServiceName, string>;
  return Object.freeze({
    service,
    host: String(raw.HOST),
    port: Number(raw[`${upper}_PORT`]),
    dataDir,
    databaseUrl,
    internalAuthSecret:
      (raw.INTERNAL_AUTH_SECRET as string | undefined) ??
      readOrCreateSecretFile(dataDir, 'internal-auth-secret'),
    logLevel: String(raw.LOG_LEVEL),
    logSuccessSampleRate: Number(raw.LOG_SUCCESS_SAMPLE_RATE),
    shutdownDelayMs: Number(raw.SHUTDOWN_DELAY_MS),
    serviceUrls: Object.freeze(serviceUrls),
  });
}

/**
 * Returns the secret kept in `<dataDir>/<name>`, creating it (32 random bytes, base64url, mode 0600) if it
 * does not exist. Safe when several processes start at once: the first writer wins, the others read it.
 */
export function readOrCreateSecretFile(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const value = readFileSync(file, 'utf8').trim();
  if (value.length < 32) throw new ConfigError(`secret file ${file} is shorter than 32 characters`);
  return value;
}
