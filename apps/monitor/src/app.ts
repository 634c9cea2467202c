import {
  createServiceApp,
  groupCommitConcurrency,
  type Database,
  type Logger,
  type ServiceApp,
} from '@ashapp/platform';
import type { MonitorConfig } from './config.ts';
import type { EventBus } from './events/event-bus.ts';
import { createEventsRepository, type MonitorTables } from './events/events-repository.ts';
import { createEventsService } from './events/events-service.ts';
import { createLiveFeed } from './events/live-feed.ts';
import { registerEventRoutes } from './events/routes.ts';

export interface MonitorAppDeps {
  config: Pick<MonitorConfig, 'internalAuthSecret' | 'maxFieldBytes' | 'bodyLimitBytes' | 'heartbeatMs'> &
    Partial<Pick<MonitorConfig, 'logSuccessSampleRate'>>;
  log: Logger;
  database: Database<MonitorTables>;
  /** Fan-out from ingest to live feeds; in-memory for one replica. */
  bus: EventBus;
}

/** The monitor's HTTP app, built from its dependencies; nothing listens or runs until main does. */
export async function buildApp(deps: MonitorAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'monitor',
    description: 'Audit events of every service: ingest, query, live feed, statistics, retention.',
    log: deps.log,
    identitySecret: deps.config.internalAuthSecret,
    ...(deps.config.logSuccessSampleRate !== undefined
      ? { accessLogSampleRate: deps.config.logSuccessSampleRate }
      : {}),
    bodyLimit: deps.config.bodyLimitBytes,
    readinessChecks: [{ name: 'database', check: () => deps.database.ping() }],
  });
  const service = createEventsService({
    events: createEventsRepository(deps.database),
    bus: deps.bus,
    maxFieldBytes: deps.config.maxFieldBytes,
    writeConcurrency: groupCommitConcurrency(deps.database.dialect),
  });
  const feed = createLiveFeed({ bus: deps.bus, log: deps.log, heartbeatMs: deps.config.heartbeatMs });
  registerEventRoutes(app, { service, feed });
  return app;
}
