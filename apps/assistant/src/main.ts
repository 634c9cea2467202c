import {
  createDatabase,
  createPlatformClient,
  createServiceAudit,
  runMigrations,
  startService,
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

startService({
  name: 'assistant',
  env: process.env,
  readConfig: readAssistantConfig,
  async build({ config, log }) {
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
    const audit = await createServiceAudit({ service: 'assistant', config, database, log });
    const history = createHistoryRecorder({ history: createPlatformClient(config, 'history', log), log });
    const app = await buildApp({
      config,
      log,
      database,
      audit: audit.outbox,
      history,
      execution,
    });
    audit.registerMetrics(app);

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

    audit.outbox.start();
    return {
      app,
      async stop() {
        clearInterval(sweeper);
        await sweeping;
        await audit.outbox.stop();
        await database.close();
      },
    };
  },
});
