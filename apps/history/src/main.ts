import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createLogger,
  createAuditEventMetrics,
  createPlatformClient,
  readTracingConfig,
  registerAuditOutboxMetrics,
  runMigrations,
  startTracing,
  runMain,
  runService,
} from '@ashapp/platform';
import { buildApp } from './app.ts';
import { readHistoryConfig } from './config.ts';
import { createHistoryMigrations, type HistoryTables } from './entries/entries-repository.ts';

async function main(): Promise<void> {
  const config = readHistoryConfig(process.env);
  const tracingConfig = readTracingConfig('history', process.env);
  const log = createLogger({ name: 'history', level: config.logLevel });
  // Before any app or client exists: the instrumentations hook in as they are created.
  const tracing = await startTracing(tracingConfig, log);
  const database = createDatabase<HistoryTables>({ url: config.databaseUrl });
  await runMigrations(database.db, 'history', createHistoryMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const auditMetrics = createAuditEventMetrics();
  const audit = createAuditOutbox({
    database,
    service: 'history',
    monitor: createPlatformClient(config, 'monitor', log),
    log,
    onRecord: auditMetrics.observe,
  });
  const app = await buildApp({ config, log, database, audit });
  auditMetrics.register(app.metrics.registry, 'history');
  registerAuditOutboxMetrics(app.metrics.registry, database);
  audit.start();
  const { stopped } = await runService({
    app,
    host: config.host,
    port: config.port,
    log,
    drainDelayMs: config.shutdownDelayMs,
    onShutdown: async () => {
      await audit.stop();
      await database.close();
      await tracing.shutdown();
    },
  });
  await stopped;
}

runMain('history', main);
