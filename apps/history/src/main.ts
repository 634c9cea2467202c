import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createLogger,
  createPlatformClient,
  runMigrations,
  runMain,
  runService,
} from '@ashapp/platform';
import { buildApp } from './app.ts';
import { readHistoryConfig } from './config.ts';
import { createHistoryMigrations, type HistoryTables } from './entries/entries-repository.ts';

async function main(): Promise<void> {
  const config = readHistoryConfig(process.env);
  const log = createLogger({ name: 'history', level: config.logLevel });
  const database = createDatabase<HistoryTables>({ url: config.databaseUrl });
  await runMigrations(database.db, 'history', createHistoryMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const audit = createAuditOutbox({
    database,
    service: 'history',
    monitor: createPlatformClient(config, 'monitor', log),
    log,
  });
  const app = await buildApp({ config, log, database, audit });
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
    },
  });
  await stopped;
}

runMain('history', main);
