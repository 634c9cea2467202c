import { createDatabase, runMigrations, startService } from '@ashapp/platform';
import { buildApp } from './app.ts';
import { readMonitorConfig } from './config.ts';
import { createInMemoryEventBus } from './events/event-bus.ts';
import {
  createEventsRepository,
  createMonitorMigrations,
  type MonitorTables,
} from './events/events-repository.ts';
import { createRetentionSweeper } from './retention/retention-sweeper.ts';

startService({
  name: 'monitor',
  env: process.env,
  readConfig: readMonitorConfig,
  async build({ config, log }) {
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
    const app = await buildApp({ config, log, database, bus: createInMemoryEventBus() });
    const retention = createRetentionSweeper({
      events: createEventsRepository(database),
      log,
      retentionDays: config.retentionDays,
      intervalMs: config.retentionSweepMs,
    });
    return {
      app,
      start: () => retention.start(),
      async stop() {
        await retention.stop();
        await database.close();
      },
    };
  },
});
