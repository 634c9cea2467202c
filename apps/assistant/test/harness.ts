/** Builds the assistant in-process for route tests: temp SQLite database, real CLI, AWS stand-in. */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  awsCredentialsHeader,
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createServiceClient,
  identityHeader,
  runMigrations,
  sealAwsCredentials,
  signIdentity,
  type AuditEvent,
  type Database,
  type Identity,
  type ServiceApp,
} from '@ashapp/platform';
import { createCapturingLogger, createTestDatabase, type TestDatabase } from '@ashapp/platform/testing';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { sql, type Kysely } from 'kysely';
import { buildApp, type AppConfig } from '../src/app.ts';
import { findAwsCli } from '../src/aws-cli/find-aws-cli.ts';
import type { ExecutorMode } from '../src/aws-cli/select-executor.ts';
import { findCliPython } from '../src/aws-cli/warm-executor.ts';
import type { HistoryRecorder } from '../src/history/history-recorder.ts';
import type { LlmPlanner } from '../src/planning/llm-planner.ts';
import {
  createConfirmationMigrations,
  type ConfirmationTables,
} from '../src/safety/database-confirmation-store.ts';
import { DEFAULT_SAFETY_RULES } from '../src/safety/safety-rules.ts';

export const standInUsers = {
  alice: {
    accessKeyId: 'AKIASTANDINALICE0001',
    secretAccessKey: 'alice-secret-key-000000000000000000000',
    arn: 'arn:aws:iam::111122223333:user/alice',
    account: '111122223333',
  },
  bob: {
    accessKeyId: 'AKIASTANDINBOB000002',
    secretAccessKey: 'bob-secret-key-0000000000000000000000000',
    arn: 'arn:aws:iam::111122223333:user/bob',
    account: '111122223333',
  },
  expired: {
    accessKeyId: 'AKIASTANDINEXPIRED03',
    secretAccessKey: 'expired-secret-key-00000000000000000000',
    arn: 'arn:aws:iam::111122223333:user/carol',
    account: '111122223333',
    expired: true,
  },
} as const;

export type StandInUserName = keyof typeof standInUsers;

export interface TestAssistant {
  app: ServiceApp;
  standIn: AwsStandIn;
  secret: string;
  /** What was saved to history, in order. */
  saved: { userId: string; query: string; output: string }[];
  logLines: string[];
  auditEvents(): Promise<AuditEvent[]>;
  /** Headers the gateway would send for this user and session (identity + sealed AWS session). */
  headers(
    user?: StandInUserName,
    options?: { sessionId?: string; credentials?: boolean },
  ): Record<string, string>;
  /** The stand-in calls of one action (e.g. StopInstances), dry runs excluded unless asked. */
  callsOf(action: string, options?: { dryRun?: boolean }): number;
  close(): Promise<void>;
}

export async function startTestAssistant(
  options: {
    llm?: LlmPlanner;
    rules?: AppConfig['safetyRules'];
    historyDown?: boolean;
    /** How plans run (default `warm`: the route tests hold the warm executor to every guarantee). */
    executor?: ExecutorMode;
    /** Stand-in options; its users are always the ones above. */
    standIn?: Partial<Parameters<typeof startAwsStandIn>[0]>;
    /** Per-call limit of the executor (default 30 s). */
    cliTimeoutMs?: number;
  } = {},
): Promise<TestAssistant> {
  const standIn = await startAwsStandIn({
    ...options.standIn,
    users: Object.values(standInUsers).map((u) => ({ ...u })),
  });
  const testDb: TestDatabase = await createTestDatabase('sqlite');
  const database: Database<ConfirmationTables> = createDatabase<ConfirmationTables>({ url: testDb.url });
  await runMigrations(database.db, 'assistant', createConfirmationMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const secret = randomBytes(32).toString('base64url');
  const { log, lines } = createCapturingLogger('assistant');
  // The monitor is not running in route tests: events stay in the outbox, where the tests read them.
  const monitor = createServiceClient({
    name: 'monitor',
    baseUrl: 'http://127.0.0.1:9',
    identitySecret: secret,
    log,
  });
  const audit = createAuditOutbox({ database, service: 'assistant', monitor, log });
  const saved: TestAssistant['saved'] = [];
  const history: HistoryRecorder = {
    async save(caller, query, output) {
      if (options.historyDown) {
        log.warn({ requestId: caller.requestId }, 'history unavailable; the entry was not saved');
        return;
      }
      saved.push({ userId: caller.userId, query, output });
    },
  };
  const config: AppConfig = {
    internalAuthSecret: secret,
    awsEndpointUrl: standIn.url,
    cliTimeoutMs: options.cliTimeoutMs ?? 30_000,
    cliMaxOutputBytes: 1024 * 1024,
    executor: options.executor ?? 'warm',
    executorWorkers: 1,
    llm: { provider: 'none', model: undefined, baseUrl: undefined, apiKey: undefined, timeoutMs: 5000 },
    safetyRules: options.rules ?? DEFAULT_SAFETY_RULES,
    codebuildServiceRole: 'arn:aws:iam::111122223333:role/codebuild-service',
    codebuildImage: undefined,
    confirmationKey: 'c'.repeat(43),
  };
  const cli = await findAwsCli();
  const cliPython = await findCliPython(cli.path);
  const app = await buildApp({
    config,
    log,
    database,
    audit,
    history,
    execution: { cli, ...(cliPython ? { cliPython } : {}) },
    ...(options.llm ? { llm: options.llm } : {}),
  });
  await app.ready();

  return {
    app,
    standIn,
    secret,
    saved,
    logLines: lines,
    async auditEvents() {
      const db = database.db as unknown as Kysely<{ audit_outbox: { payload: string; created_at: number } }>;
      // Several events share a millisecond: rowid (SQLite's insertion order) breaks the tie.
      const rows = await db
        .selectFrom('audit_outbox')
        .select('payload')
        .orderBy('created_at')
        .orderBy(sql`rowid`)
        .execute();
      return rows.map((r) => JSON.parse(r.payload) as AuditEvent);
    },
    headers(user = 'alice', headerOptions = {}) {
      const u = standInUsers[user];
      const requestId = randomUUID();
      const identity: Identity = {
        userId: u.arn,
        roles: ['user'],
        requestId,
        sessionId: headerOptions.sessionId ?? `session-${user}`,
        name: user,
      };
      return {
        'x-request-id': requestId,
        'user-agent': 'assistant-route-test',
        [identityHeader]: signIdentity(identity, secret),
        ...(headerOptions.credentials === false
          ? {}
          : {
              [awsCredentialsHeader]: sealAwsCredentials(
                { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey, region: 'us-east-1' },
                secret,
                requestId,
              ),
            }),
      };
    },
    callsOf(action, callOptions = {}) {
      return standIn.calls.filter((c) => c.action === action && c.dryRun === (callOptions.dryRun ?? false))
        .length;
    },
    async close() {
      await app.close();
      await database.close();
      await testDb.drop();
      await standIn.close();
    },
  };
}
