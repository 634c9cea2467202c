import {
  createServiceApp,
  groupCommitConcurrency,
  type AuditOutbox,
  type Database,
  type Logger,
  type ServiceApp,
} from '@ashapp/platform';
import type { HistoryConfig } from './config.ts';
import { createEntriesRepository, type HistoryTables } from './entries/entries-repository.ts';
import { createHistoryService } from './entries/entries-service.ts';
import { registerEntryRoutes } from './entries/routes.ts';

export interface HistoryAppDeps {
  config: Pick<HistoryConfig, 'internalAuthSecret' | 'maxOutputBytes'> &
    Partial<Pick<HistoryConfig, 'logSuccessSampleRate'>>;
  log: Logger;
  database: Database<HistoryTables>;
  audit: AuditOutbox;
}

/** The history service's HTTP app, built from its dependencies; nothing listens or runs until main does. */
export async function buildApp(deps: HistoryAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'history',
    description: 'Per-user record of queries and outputs.',
    log: deps.log,
    identitySecret: deps.config.internalAuthSecret,
    ...(deps.config.logSuccessSampleRate !== undefined
      ? { accessLogSampleRate: deps.config.logSuccessSampleRate }
      : {}),
    // JSON escaping can double an output's size; the service checks the real size of `output` itself.
    bodyLimit: deps.config.maxOutputBytes * 2 + 64 * 1024,
    readinessChecks: [{ name: 'database', check: () => deps.database.ping() }],
  });
  const service = createHistoryService({
    entries: createEntriesRepository(deps.database),
    audit: deps.audit,
    maxOutputBytes: deps.config.maxOutputBytes,
    inTransaction: (work) => deps.database.db.transaction().execute(work),
    writeConcurrency: groupCommitConcurrency(deps.database.dialect),
  });
  registerEntryRoutes(app, service);
  return app;
}
