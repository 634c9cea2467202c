import {
  createDatabase,
  createPlatformClient,
  createSecretBox,
  createServiceAudit,
  runMigrations,
  startService,
} from '@ashapp/platform';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { createStsCallerVerifier } from './auth/caller-verifier.ts';
import { describeGatewayConfig, readGatewayConfig } from './config.ts';
import { createMemoryRateLimiter } from './rate-limit/memory-rate-limiter.ts';
import { createRedisRateLimiter } from './rate-limit/redis-rate-limiter.ts';
import {
  createDatabaseSessionStore,
  createSessionMigrations,
  type SessionTables,
} from './sessions/database-session-store.ts';
import { createRedisSessionStore } from './sessions/redis-session-store.ts';
import { createSessionEndNotifier } from './sessions/session-end-notifier.ts';
import { registerSessionCountMetric } from './sessions/session-metrics.ts';
import { createSessionService } from './sessions/session-service.ts';
import { createSessionSweeper } from './sessions/session-sweeper.ts';

startService({
  name: 'gateway',
  env: process.env,
  readConfig: readGatewayConfig,
  async build({ config, log }) {
    log.info({ config: describeGatewayConfig(config) }, 'starting');
    const database = createDatabase<SessionTables>({ url: config.databaseUrl });
    await runMigrations(database.db, 'gateway', createSessionMigrations(database.dialect));
    const audit = await createServiceAudit({ service: 'gateway', config, database, log });

    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
      redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection problem'));
      await redis.connect();
    }

    const store = redis
      ? createRedisSessionStore({ redis, idleMs: config.sessionIdleMs })
      : createDatabaseSessionStore({ database, idleMs: config.sessionIdleMs });
    const sessions = createSessionService({
      store,
      cipher: createSecretBox(config.sessionEncryptionKey),
      idleMs: config.sessionIdleMs,
      absoluteMs: config.sessionAbsoluteMs,
    });
    const rateLimiter = redis ? createRedisRateLimiter({ redis }) : createMemoryRateLimiter();
    const deployer = createPlatformClient(config, 'deployer', log, { timeoutMs: 2000, retries: 0 });
    const endSession = createSessionEndNotifier({ deployer, log });
    const sweeper = createSessionSweeper({ sessions, log });
    const readinessChecks = [{ name: 'database', check: () => database.ping() }];
    if (redis) {
      const client = redis;
      readinessChecks.push({ name: 'redis', check: async () => void (await client.ping()) });
    }

    const app = await buildApp({
      config,
      log,
      sessions,
      verifier: createStsCallerVerifier({ endpoint: config.stsEndpoint, timeoutMs: config.stsTimeoutMs }),
      rateLimiter,
      audit: audit.outbox,
      endSession,
      readinessChecks,
    });
    audit.registerMetrics(app);
    if (store.kind === 'database') registerSessionCountMetric(app.metrics.registry, database);
    audit.outbox.start();
    if (store.kind === 'database') sweeper.start();
    return {
      app,
      async stop() {
        await sweeper.stop();
        await audit.outbox.stop();
        await redis?.quit();
        await database.close();
      },
    };
  },
});
