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
import { probeExecutionHost } from './aws-cli/probe-host.ts';
import { readAssistantConfig } from './config.ts';
import { createHistoryRecorder } from './history/history-recorder.ts';
import {
  createConfirmationMigrations,
  createDatabaseConfirmationStore,
  type ConfirmationTables,
} from './safety/database-confirmation-store.ts';

// Used confirmations are kept a day after they expire (a replay is answered "already used", not "unknown").
const SWEEP_EVERY_MS = 10 * 60 * 1000;
const KEEP_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;

async function main(): Promise<void> {
  const config = readAssistantConfig(process.env);
  const tracingConfig = readTracingConfig('assistant', process.env);
  const log = createLogger({ name: 'assistant', level: config.logLevel });
  // Before any app or client exists: the instrumentations hook in as they are created.
  const tracing = await startTracing(tracingConfig, log);
  // The host probe (`aws --version` is a Python start-up) runs while the service starts and listens:
  // planning needs only the model index, a run waits for the probe, /ready turns 503 if it finds no CLI.
  const execution = probeExecutionHost({
    awsCliPath: config.awsCliPath,
    executorPython: config.executorPython,
    log,
  });
  log.info({ llm: config.llm.provider, executor: config.executor }, 'starting');
  const database = createDatabase<ConfirmationTables>({ url: config.databaseUrl });
  await runMigrations(database.db, 'assistant', createConfirmationMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const client = (name: 'monitor' | 'history') => createPlatformClient(config, name, log);
  const auditMetrics = createAuditEventMetrics();
  const audit = createAuditOutbox({
    database,
    service: 'assistant',
    monitor: client('monitor'),
    log,
    onRecord: auditMetrics.observe,
  });
  const history = createHistoryRecorder({ history: client('history'), log });
  const app = await buildApp({
    config,
    log,
    database,
    audit,
    history,
    execution,
  });
  auditMetrics.register(app.metrics.registry, 'assistant');
  registerAuditOutboxMetrics(app.metrics.registry, database);

  const store = createDatabaseConfirmationStore(database);
  let sweeping: Promise<void> = Promise.resolve();
  const sweeper = setInterval(() => {
    sweeping = store
      .deleteExpired(new Date(Date.now() - KEEP_AFTER_EXPIRY_MS))
      .then((removed) => {
        if (removed > 0) log.info({ removed }, 'old confirmations removed');
      })
      .catch((err: unknown) => log.warn({ err }, 'confirmation sweep failed'));
  }, SWEEP_EVERY_MS);
  sweeper.unref();

  audit.start();
  const { stopped } = await runService({
    app,
    host: config.host,
    port: config.port,
    log,
    onShutdown: async () => {
      clearInterval(sweeper);
      await sweeping;
      await audit.stop();
      await database.close();
      await tracing.shutdown();
    },
  });
  await stopped;
}

runMain('assistant', main);
