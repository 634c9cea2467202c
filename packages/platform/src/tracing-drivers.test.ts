import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { bundleOptions, externalPackages } from '../../../scripts/build-plan.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './testing/otlp-receiver.ts';
import { runDriverProbe, type DriverProbeTargets } from './testing/tracing-driver-probe.ts';

/**
 * Query spans from the real drivers (PostgreSQL, MariaDB, Redis on this machine) reach an OTLP collector
 * stand-in as children of the request's server span, both when the platform runs as ES modules through
 * tsx and when it is an esbuild bundle (as `npm run build` makes it, drivers in chunks of their own): the instrumentations' patches are
 * applied to the loaded drivers, not through require hooks, which neither setup would fire.
 */

// Test runs reach the servers this machine kind provides; CI makes sure they are running.
const servers = {
  postgresUrl: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mysqlUrl: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const expectedSystems = ['postgresql', 'mysql', 'redis'] as const;

async function waitForSpans(receiver: OtlpReceiver, service: string, count: number): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const spans = receiver.spans.filter((s) => s.service === service);
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The assertions both setups must pass. */
function checkDriverSpans(spans: ReceivedSpan[], secret: string): void {
  const server = spans.find((s) => s.name === 'GET /probe');
  assert.ok(server, `a server span for the request; got ${spans.map((s) => s.name).join(', ')}`);
  // @fastify/otel runs the route handler in a span of its own below the request span.
  const handler = spans.find((s) => s.parentSpanId === server.spanId && s.name.startsWith('handler'));
  assert.ok(handler, 'the handler span below the request span');
  const driverSpans = spans.filter((s) => s.attributes['db.system.name'] !== undefined);
  const names = driverSpans.map((s) => s.name).join(', ');
  for (const system of expectedSystems) {
    // The query or command itself; pg also reports the pool checkout (pg-pool.connect > pg.connect).
    const queries = driverSpans.filter(
      (s) => s.attributes['db.system.name'] === system && s.attributes['db.query.text'] !== undefined,
    );
    assert.ok(queries.length > 0, `a ${system} query span; got ${names}`);
    for (const span of queries) {
      assert.equal(span.traceId, server.traceId, `${span.name} is in the request's trace`);
      assert.equal(
        span.parentSpanId,
        handler.spanId,
        `${span.name} is a child of the request's handler span`,
      );
    }
  }
  // Every driver span belongs to the request: the calls made outside it started no trace.
  assert.ok(
    driverSpans.every((s) => s.traceId === server.traceId),
    `no trace of a poller query: ${names}`,
  );
  const queries = driverSpans.map((s) => String(s.attributes['db.query.text'] ?? ''));
  assert.ok(
    queries.some((q) => /select \$1::text as v/.test(q)),
    `pg query text: ${queries.join(' | ')}`,
  );
  assert.ok(queries.includes('get'), `the Redis command name: ${queries.join(' | ')}`);
  // Bound values and Redis keys (session ids in the gateway) never reach the collector.
  assert.ok(!JSON.stringify(spans).includes(secret), 'the bound value / key is in no span');
}

describe('database and Redis driver spans (real PostgreSQL, MariaDB, Redis)', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  const otelEnv = (service: string) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: service,
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  const targets = (): DriverProbeTargets => ({
    ...servers,
    secret: `probe-secret-${randomBytes(6).toString('hex')}`,
  });

  test('under tsx (ES modules): pg, mysql and redis spans are children of the request span', async () => {
    const probe = targets();
    await runDriverProbe(otelEnv('probe-esm'), probe);
    checkDriverSpans(await waitForSpans(receiver, 'probe-esm', 5), probe.secret);
  });

  test('in an esbuild bundle (as npm run build): the same spans', { timeout: 120_000 }, async () => {
    // Inside the workspace, so the externals (better-sqlite3) resolve from node_modules as from dist/.
    const dir = await mkdtemp(path.join(import.meta.dirname, '..', '.trace-bundle-'));
    try {
      const entry = path.join(dir, 'probe-entry.ts');
      await writeFile(
        entry,
        [
          "import { runDriverProbe } from '../src/testing/tracing-driver-probe.ts';",
          'await runDriverProbe(process.env, JSON.parse(process.env.PROBE_TARGETS));',
        ].join('\n'),
      );
      // scripts/build.ts's own options: ESM, the drivers inlined into chunks loaded by import() (the same
      // module object whichever code imports them), the same externals.
      await build({
        ...bundleOptions,
        entryPoints: { probe: entry },
        outdir: dir,
        outExtension: { '.js': '.mjs' },
        external: externalPackages,
        logLevel: 'error',
        banner: {
          js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        },
      });
      const outfile = path.join(dir, 'probe.mjs');
      const probe = targets();
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [outfile], {
          cwd: dir,
          env: { ...process.env, ...otelEnv('probe-bundle'), PROBE_TARGETS: JSON.stringify(probe) },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('error', reject);
        child.once('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.equal(code, 0, 'the bundled probe ran');
      checkDriverSpans(await waitForSpans(receiver, 'probe-bundle', 5), probe.secret);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
