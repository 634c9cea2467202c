import {
  createDatabase,
  createPlatformClient,
  createServiceAudit,
  runMigrations,
  startService,
} from '@ashapp/platform';
import { buildApp } from './app.ts';
import { findAwsCli } from './aws-cli/find-aws-cli.ts';
import { findCliPython } from './aws-cli/warm-executor.ts';
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
    // Without the CLI the assistant still starts (planning works, runs answer 503, /ready says why), so the
    // rest of the platform comes up on a machine that lacks it.
    const cli = await findAwsCli(config.awsCliPath ? { configuredPath: config.awsCliPath } : {}).catch(
      (err: unknown) => ({ unavailable: `${(err as Error).message} (Debian: apt-get install awscli)` }),
    );
    if ('unavailable' in cli)
      log.error({ reason: cli.unavailable }, 'AWS CLI v2 not found: commands cannot run');
    else log.info({ cli: cli.path, version: cli.version, llm: config.llm.provider }, 'AWS CLI v2 found');
    const database = createDatabase<ConfirmationTables>({ url: config.databaseUrl });
    await runMigrations(database.db, 'assistant', createConfirmationMigrations(database.dialect));
    const audit = await createServiceAudit({ service: 'assistant', config, database, log });
    const history = createHistoryRecorder({ history: createPlatformClient(config, 'history', log), log });
    const cliPython =
      config.executorPython ?? ('unavailable' in cli ? undefined : await findCliPython(cli.path));
    const app = await buildApp({
      config,
      log,
      database,
      audit: audit.outbox,
      history,
      cli,
      ...(cliPython ? { cliPython } : {}),
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
