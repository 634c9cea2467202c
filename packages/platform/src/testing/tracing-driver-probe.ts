import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { createDatabase } from '../database.ts';
import { createLogger } from '../logger.ts';
import { readTracingConfig } from '../tracing-config.ts';
import { startTracing } from '../tracing-sdk.ts';

/** Where the probe's drivers connect, and the values it sends that must never show in a span. */
export interface DriverProbeTargets {
  readonly postgresUrl: string;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  /** A bound value sent to both databases and a key read from Redis. */
  readonly secret: string;
}

/**
 * One process's worth of tracing with the real drivers, the way a service runs: tracing started first
 * (with `env`'s `OTEL_*`), the drivers imported statically by the platform's database module and ioredis,
 * a Fastify app whose one request runs a query on PostgreSQL, on MariaDB and a Redis GET, and one query
 * outside any request (as pollers do). Everything is flushed to the collector before it returns.
 * Shared by the in-process test (tsx, ESM) and the bundled one (esbuild, as `npm run build` bundles).
 */
export async function runDriverProbe(
  env: Record<string, string | undefined>,
  targets: DriverProbeTargets,
): Promise<void> {
  const log = createLogger({ name: 'driver-probe', level: 'silent' });
  const tracing = await startTracing(readTracingConfig('driver-probe', env), log);
  const postgres = createDatabase<unknown>({ url: targets.postgresUrl, poolSize: 1 });
  const mysql = createDatabase<unknown>({ url: targets.mysqlUrl, poolSize: 1 });
  const redis = new Redis(targets.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const app = Fastify();
  app.get('/probe', async () => {
    const pgRow = await sql<{ v: string }>`select ${targets.secret}::text as v`.execute(postgres.db);
    const myRow = await sql<{ v: string }>`select ${targets.secret} as v`.execute(mysql.db);
    const cached = await redis.get(targets.secret);
    return { pg: pgRow.rows[0]?.v, mysql: myRow.rows[0]?.v, redis: cached };
  });
  try {
    await redis.connect();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${address}/probe`);
    if (response.status !== 200) throw new Error(`probe answered ${response.status}`);
    const body = (await response.json()) as { pg?: string; mysql?: string };
    if (body.pg !== targets.secret || body.mysql !== targets.secret) throw new Error('probe queries failed');
    // Outside any request: must not become a trace of its own.
    await sql`select 2 as outside`.execute(postgres.db);
    await sql`select 2 as outside`.execute(mysql.db);
    await redis.get(`${targets.secret}-outside`);
  } finally {
    await app.close();
    redis.disconnect();
    await postgres.close();
    await mysql.close();
    await tracing.shutdown();
  }
}
