import {
  commonJsExports,
  createDatabase,
  createPlatformClient,
  createSecretBox,
  createServiceAudit,
  runMigrations,
  startService,
} from '@ashapp/platform';
import type { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { createStsCallerVerifier } from './auth/caller-verifier.ts';
import { describeGatewayConfig, readGatewayConfig } from './config.ts';
import {
  createDatabaseSessionStore,
  createSessionMigrations,
  type SessionTables,
} from './sessions/database-session-store.ts';
import { createCachedSessionStore } from './sessions/cached-session-store.ts';
import {
  createRedisSessionInvalidations,
  listenForSessionInvalidations,
} from './sessions/redis-session-invalidations.ts';
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
      // Only a deployment with replicas needs the Redis client; the embedded default never loads it.
      const { Redis } = commonJsExports(await import('ioredis'));
      redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
      redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection problem'));
      await redis.connect();
    }

    const sourceOfTruth = redis
      ? createRedisSessionStore({ redis, idleMs: config.sessionIdleMs })
      : createDatabaseSessionStore({ database, idleMs: config.sessionIdleMs });
    // Replicas tell each other about sign-outs on a connection of its own (a subscribed one can do nothing
    // else); the database store means one replica, where the cache's own invalidation is the whole story.
    let subscriber: Redis | undefined;
    if (redis && config.sessionCacheMs > 0) {
      subscriber = redis.duplicate();
      subscriber.on('error', (err: Error) => log.warn({ err: err.message }, 'redis subscriber problem'));
    }
    const store =
      config.sessionCacheMs > 0
        ? createCachedSessionStore({
            store: sourceOfTruth,
            ttlMs: config.sessionCacheMs,
            idleMs: config.sessionIdleMs,
            ...(redis && subscriber
              ? { invalidations: createRedisSessionInvalidations({ redis, subscriber }) }
              : {}),
          })
        : sourceOfTruth;
    if (subscriber) await listenForSessionInvalidations(subscriber);
    const sessions = createSessionService({
      store,
      cipher: createSecretBox(config.sessionEncryptionKey),
      idleMs: config.sessionIdleMs,
      absoluteMs: config.sessionAbsoluteMs,
    });
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
      redis,
      audit: audit.outbox,
      endSession,
      readinessChecks,
    });
    audit.registerMetrics(app);
    registerSessionCountMetric(app.metrics.registry, sourceOfTruth);
    audit.outbox.start();
    if (store.kind === 'database') sweeper.start();
    return {
      app,
      async stop() {
        await sweeper.stop();
        await audit.outbox.stop();
        await subscriber?.quit();
        await redis?.quit();
        await database.close();
      },
    };
  },
});
