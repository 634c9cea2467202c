import { createAuditOutbox, createAuditOutboxMigrations, type AuditOutbox } from './audit.ts';
import type { BaseServiceConfig, Env, ServiceName } from './config.ts';
import { runMigrations, type Database } from './database.ts';
import { createPlatformClient } from './http-client.ts';
import { runMain, runService } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { createAuditEventMetrics } from './metrics-audit.ts';
import { registerAuditOutboxMetrics } from './metrics-outbox.ts';
import type { ServiceApp } from './server.ts';
import { readTracingConfig } from './tracing-config.ts';
import { startTracing } from './tracing-sdk.ts';

/** What a service's `main.ts` builds once configuration, logger and tracing are up. */
export interface ServiceParts {
  app: ServiceApp;
  /** Runs once the app listens (background work that should start with the server). */
  start?: () => void | Promise<void>;
  /**
   * Runs on SIGTERM/SIGINT after in-flight requests drained: stop background work, then close the
   * database. Tracing is flushed after it.
   */
  stop?: () => Promise<void>;
}

export interface StartServiceOptions<C extends BaseServiceConfig> {
  name: ServiceName;
  /** The process environment: `main.ts` passes `process.env`, the only place that reads it. */
  env: Env;
  readConfig: (env: Env) => C;
  build: (context: { config: C; log: Logger; env: Env }) => Promise<ServiceParts>;
}

/**
 * A service's whole start-up: configuration, logger and tracing (before any app or client exists, so the
 * instrumentations hook in as they are created), then the service's own `build`, then listening with a
 * graceful drain on SIGTERM (`SHUTDOWN_DELAY_MS` of answering with `Connection: close` first). A start-up
 * failure is one clear line on stderr and exit code 1.
 *
 * @example
 * startService({
 *   name: 'history',
 *   env: process.env,
 *   readConfig: readHistoryConfig,
 *   build: async ({ config, log }) => ({ app: await buildApp({ config, log }) }),
 * });
 */
export function startService<C extends BaseServiceConfig>(options: StartServiceOptions<C>): void {
  runMain(options.name, async () => {
    const config = options.readConfig(options.env);
    const tracingConfig = readTracingConfig(options.name, options.env);
    const log = createLogger({ name: options.name, level: config.logLevel });
    const tracing = await startTracing(tracingConfig, log);
    const parts = await options.build({ config, log, env: options.env });
    const { stopped } = await runService({
      app: parts.app,
      host: config.host,
      port: config.port,
      log,
      drainDelayMs: config.shutdownDelayMs,
      onShutdown: async () => {
        try {
          await parts.stop?.();
        } finally {
          await tracing.shutdown();
        }
      },
    });
    await parts.start?.();
    await stopped;
  });
}

export interface ServiceAudit {
  outbox: AuditOutbox;
  /** Adds the audit event and outbox metrics to the app's registry (once the app exists). */
  registerMetrics(app: ServiceApp): void;
}

/**
 * The audit outbox every service sets up the same way: its migrations in the service's database, delivery
 * to the monitor with the service's identity, and metrics derived from the events it records.
 *
 * @example
 * const audit = await createServiceAudit({ service: 'history', config, database, log });
 * const app = await buildApp({ config, log, database, audit: audit.outbox });
 * audit.registerMetrics(app);
 */
export async function createServiceAudit<DB>(options: {
  service: ServiceName;
  config: Pick<BaseServiceConfig, 'serviceUrls' | 'internalAuthSecret'>;
  database: Database<DB>;
  log: Logger;
}): Promise<ServiceAudit> {
  const { database, log } = options;
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const metrics = createAuditEventMetrics();
  const outbox = createAuditOutbox({
    database,
    service: options.service,
    monitor: createPlatformClient(options.config, 'monitor', log),
    log,
    onRecord: metrics.observe,
  });
  return {
    outbox,
    registerMetrics(app) {
      metrics.register(app.metrics.registry, options.service);
      registerAuditOutboxMetrics(app.metrics.registry, database);
    },
  };
}
