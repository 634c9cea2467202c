/** Builds the gateway in-process for route tests: temp SQLite database, STS stand-in, real session store. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createServiceClient,
  runMigrations,
  type AuditEvent,
  type Database,
  type ServiceApp,
  type ServiceName,
} from '@ashapp/platform';
import { createCapturingLogger } from '@ashapp/platform/testing';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { buildApp, type GatewayAppDeps } from '../src/app.ts';
import { serviceUrlEnv } from '@ashapp/test-platform/services';
import { createStsCallerVerifier } from '../src/auth/caller-verifier.ts';
import { readGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { createSecretBox } from '@ashapp/platform';
import {
  createDatabaseSessionStore,
  createSessionMigrations,
  type SessionTables,
} from '../src/sessions/database-session-store.ts';
import { createSessionService, type SessionService } from '../src/sessions/session-service.ts';
import type { SessionStore } from '../src/sessions/session-store.ts';
import { startStsStandIn, testUsers, type StsStandIn, type TestUser } from '@ashapp/aws-stand-in';

export interface TestGateway {
  app: ServiceApp;
  config: GatewayConfig;
  sts: StsStandIn;
  sessions: SessionService;
  database: Database<SessionTables>;
  dataDir: string;
  logLines: string[];
  /** Audit events waiting in the outbox (the monitor is not running in route tests). */
  auditEvents(): Promise<AuditEvent[]>;
  /** Signs in through the API; returns the cookies to send and the bearer token. */
  login(user?: TestUser): Promise<{ cookie: string; csrf: string; token: string; sessionCookie: string }>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: Record<string, string>;
  serviceUrls?: Partial<Record<ServiceName, string>>;
  /** Rate-limit counters in this Redis (as replicas share them); default: in the process. */
  redis?: Redis;
  store?: (deps: { database: Database<SessionTables>; config: GatewayConfig }) => SessionStore;
  now?: () => number;
  endSession?: GatewayAppDeps['endSession'];
}

/** Reads `name=value` pairs out of set-cookie headers. */
export function readSetCookies(headers: Record<string, unknown>): Record<string, string> {
  const raw = headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  const out: Record<string, string> = {};
  for (const line of list as string[]) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-gateway-'));
  const sts = await startStsStandIn();
  const env: Record<string, string> = {
    ASHAPP_DATA_DIR: dataDir,
    INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
    AWS_ENDPOINT_URL_STS: sts.url,
    WEB_DIST_DIR: path.join(dataDir, 'no-web-build'),
    ADMIN_ARNS: testUsers.admin.arn,
    // Route tests sign in many times from one address; the limit itself has its own test.
    LOGIN_RATE_LIMIT_MAX: '1000',
    // Services a test does not give point at a closed port, never at a developer's running platform.
    ...serviceUrlEnv({ urls: options.serviceUrls ?? {} }),
    ...options.env,
  };
  const config = readGatewayConfig(env);
  const { log, lines } = createCapturingLogger('gateway');
  const database = createDatabase<SessionTables>({ url: config.databaseUrl });
  await runMigrations(database.db, 'gateway', createSessionMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const store = options.store
    ? options.store({ database, config })
    : createDatabaseSessionStore({ database, idleMs: config.sessionIdleMs });
  const sessions = createSessionService({
    store,
    cipher: createSecretBox(config.sessionEncryptionKey),
    idleMs: config.sessionIdleMs,
    absoluteMs: config.sessionAbsoluteMs,
    ...(options.now ? { now: options.now } : {}),
  });
  const monitor = createServiceClient({
    name: 'monitor',
    baseUrl: config.serviceUrls.monitor,
    identitySecret: config.internalAuthSecret,
    log,
  });
  const audit = createAuditOutbox({ database, service: 'gateway', monitor, log });
  const app = await buildApp({
    config,
    log,
    sessions,
    verifier: createStsCallerVerifier({ endpoint: config.stsEndpoint, timeoutMs: config.stsTimeoutMs }),
    ...(options.redis ? { redis: options.redis } : {}),
    audit,
    ...(options.endSession ? { endSession: options.endSession } : {}),
    readinessChecks: [{ name: 'database', check: () => database.ping() }],
  });
  await app.ready();

  async function login(user: TestUser = testUsers.alice) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { access_key: user.accessKeyId, secret_key: user.secretAccessKey, region: 'us-east-1' },
    });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    const set = readSetCookies(res.headers);
    const sessionCookie = set.ashapp_session ?? '';
    const csrf = set.ashapp_csrf ?? '';
    return {
      cookie: `ashapp_session=${sessionCookie}; ashapp_csrf=${csrf}`,
      csrf,
      token: (res.json() as { token: string }).token,
      sessionCookie,
    };
  }

  return {
    app,
    config,
    sts,
    sessions,
    database,
    dataDir,
    logLines: lines,
    async auditEvents() {
      const db = database.db as unknown as Kysely<{ audit_outbox: { payload: string; created_at: number } }>;
      const rows = await db.selectFrom('audit_outbox').select('payload').orderBy('created_at').execute();
      return rows.map((r) => JSON.parse(r.payload) as AuditEvent);
    },
    login,
    async close() {
      await app.close();
      await database.close();
      await sts.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
