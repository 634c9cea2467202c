import {
  createDatabase,
  createLogger,
  readTracingConfig,
  runMain,
  runMigrations,
  runService,
  startTracing,
} from '@ashapp/platform';
import { buildApp } from './app.ts';
import { readMonitorConfig } from './config.ts';
import { createInMemoryEventBus } from './events/event-bus.ts';
import {
  createEventsRepository,
  createMonitorMigrations,
  type MonitorTables,
} from './events/events-repository.ts';
import { createRetentionSweeper } from './retention/retention-sweeper.ts';

async function main(): Promise<void> {
  const config = readMonitorConfig(process.env);
  const tracingConfig = readTracingConfig('monitor', process.env);
  const log = createLogger({ name: 'monitor', level: config.logLevel });
  // Before any app or client exists: the instrumentations hook in as they are created.
  const tracing = await startTracing(tracingConfig, log);
  log.info(
    {
      port: config.port,
      host: config.host,
      dataDir: config.dataDir,
      retentionDays: config.retentionDays,
      retentionSweepMs: config.retentionSweepMs,
      maxFieldBytes: config.maxFieldBytes,
    },
    'starting',
  );
  const database = createDatabase<MonitorTables>({ url: config.databaseUrl });
  await runMigrations(database.db, 'monitor', createMonitorMigrations(database.dialect));
  const bus = createInMemoryEventBus();
  const app = await buildApp({ config, log, database, bus });
  const retention = createRetentionSweeper({
    events: createEventsRepository(database),
    log,
    retentionDays: config.retentionDays,
    intervalMs: config.retentionSweepMs,
  });
  const { stopped } = await runService({
    app,
    host: config.host,
    port: config.port,
    log,
    drainDelayMs: config.shutdownDelayMs,
    onShutdown: async () => {
      await retention.stop();
      await database.close();
      await tracing.shutdown();
    },
  });
  retention.start();
  await stopped;
}

runMain('monitor', main);
