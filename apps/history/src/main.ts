import { createDatabase, createServiceAudit, runMigrations, startService } from '@ashapp/platform';
import { buildApp } from './app.ts';
import { readHistoryConfig } from './config.ts';
import { createHistoryMigrations, type HistoryTables } from './entries/entries-repository.ts';

startService({
  name: 'history',
  env: process.env,
  readConfig: readHistoryConfig,
  async build({ config, log }) {
    const database = createDatabase<HistoryTables>({ url: config.databaseUrl });
    await runMigrations(database.db, 'history', createHistoryMigrations(database.dialect));
    const audit = await createServiceAudit({ service: 'history', config, database, log });
    const app = await buildApp({ config, log, database, audit: audit.outbox });
    audit.registerMetrics(app);
    audit.outbox.start();
    return {
      app,
      async stop() {
        await audit.outbox.stop();
        await database.close();
      },
    };
  },
});
