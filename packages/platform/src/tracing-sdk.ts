import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-node';
import type { Logger } from './logger.ts';
import { commonJsExports } from './module-interop.ts';
import type { TracingConfig } from './tracing-config.ts';

/** What `startTracing` leaves running: flush and stop it at shutdown. */
export interface TracingHandle {
  readonly enabled: boolean;
  /** Exports what is buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

// Probes and scrapes arrive every few seconds and would bury the traces that matter.
const untracedPaths = new Set(['/health', '/ready', '/metrics', '/openapi.json']);

/**
 * Starts OpenTelemetry for this process when `config.enabled` (an OTLP endpoint is set); otherwise returns
 * at once without loading a single SDK module. Call it in `main.ts` before the app is built.
 *
 * Instrumentation is explicit, so it works under ESM and in an esbuild bundle alike (no require hooks):
 * server spans come from `@fastify/otel`, which registers itself on every Fastify instance through Fastify's
 * `fastify.initialization` diagnostics channel; client spans and `traceparent` injection for `fetch` come
 * from the undici instrumentation (diagnostics channels too); query spans come from the pg, mysql2 and
 * ioredis instrumentations, whose patches are applied here to the driver modules this process imported
 * (see `patchDrivers`). Spans of our own use `withSpan`.
 *
 * @example
 * const tracing = await startTracing(readTracingConfig('history', process.env), log);
 * // … on shutdown:
 * await tracing.shutdown();
 */
export async function startTracing(config: TracingConfig, log: Logger): Promise<TracingHandle> {
  if (!config.enabled) return { enabled: false, shutdown: async () => {} };

  const [api, sdk, resources, fastifyOtel, undici, exporterModule, drivers] = await Promise.all([
    import('@opentelemetry/api').then(commonJsExports),
    import('@opentelemetry/sdk-trace-node').then(commonJsExports),
    import('@opentelemetry/resources').then(commonJsExports),
    import('@fastify/otel').then(commonJsExports),
    import('@opentelemetry/instrumentation-undici').then(commonJsExports),
    config.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http').then(commonJsExports)
      : import('@opentelemetry/exporter-trace-otlp-proto').then(commonJsExports),
    loadDriverInstrumentations(),
  ]);

  const ratio = new sdk.TraceIdRatioBasedSampler(config.samplerRatio);
  const sampler = withoutRootClientCalls(
    {
      always_on: new sdk.AlwaysOnSampler(),
      always_off: new sdk.AlwaysOffSampler(),
      traceidratio: ratio,
      parentbased_always_on: new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
      parentbased_always_off: new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() }),
      parentbased_traceidratio: new sdk.ParentBasedSampler({ root: ratio }),
    }[config.sampler],
    api.trace.getSpan,
    { decision: sdk.SamplingDecision.NOT_RECORD },
  );

  const exporter = new exporterModule.OTLPTraceExporter({
    url: config.tracesUrl,
    headers: { ...config.headers },
    timeoutMillis: config.exportTimeoutMs,
  });
  const provider = new sdk.NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      'service.namespace': 'ashapp',
    }),
    sampler,
    spanProcessors: [
      new sdk.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.scheduleDelayMs,
        exportTimeoutMillis: config.exportTimeoutMs,
      }),
    ],
  });
  // Sets the global provider, the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();

  // Export problems must not go unnoticed, nor flood the log.
  api.diag.setLogger(
    {
      error: (message, ...args) => log.warn({ otel: args.map(String) }, `tracing: ${message}`),
      warn: (message, ...args) => log.warn({ otel: args.map(String) }, `tracing: ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    api.DiagLogLevel.WARN,
  );

  const instrumentations = [
    new fastifyOtel.FastifyOtelInstrumentation({
      registerOnInitialization: true,
      instrumentHooks: false,
      ignorePaths: (route) => untracedPaths.has(route.url.split('?')[0] ?? ''),
      requestHook: (span, request) => {
        // Name server spans by route template (bounded), never by raw URL.
        span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`);
        span.setAttribute('http.request_id', request.id);
      },
    }),
    new undici.UndiciInstrumentation(),
  ];
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
  }
  const unpatchDrivers = patchDrivers(drivers, provider);
  log.info(
    { endpoint: config.tracesUrl, protocol: config.protocol, sampler: config.sampler },
    'tracing on: exporting spans over OTLP',
  );

  return {
    enabled: true,
    async shutdown() {
      for (const instrumentation of instrumentations) instrumentation.disable();
      unpatchDrivers();
      try {
        await provider.shutdown();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'tracing: final export failed');
      }
    },
  };
}

/** The part of an OpenTelemetry `InstrumentationBase` used to apply its patches by hand. */
interface ModulePatcher {
  setTracerProvider(provider: unknown): void;
  getModuleDefinitions(): {
    name: string;
    patch?: (exports: unknown) => unknown;
    unpatch?: (exports: unknown) => void;
    files: { name: string; patch(exports: unknown): unknown; unpatch(exports?: unknown): void }[];
  }[];
}

/** A driver module as this process loaded it, and the instrumentation that knows how to patch it. */
interface DriverPatch {
  readonly instrumentation: ModulePatcher;
  /** Module (or file) name as the instrumentation's definitions spell it → the exports to patch. */
  readonly targets: ReadonlyArray<readonly [string, unknown]>;
}

/** The CommonJS `module.exports` behind an `import()` namespace (Node and esbuild both put it on `default`). */
function cjsExports(namespace: { default?: unknown }): Record<string, unknown> {
  return (namespace.default ?? namespace) as Record<string, unknown>;
}

/**
 * Loads the drivers and their instrumentations (only when tracing is on). `import('pg')` here returns the
 * very module object that `database.ts` imported: one module cache under tsx, one inlined copy in a bundle.
 */
async function loadDriverInstrumentations(): Promise<DriverPatch[]> {
  const [pgModule, mysqlModule, redisModule, pgOtel, mysqlOtel, redisOtel] = await Promise.all([
    import('pg'),
    import('mysql2'),
    import('ioredis'),
    import('@opentelemetry/instrumentation-pg').then(commonJsExports),
    import('@opentelemetry/instrumentation-mysql2').then(commonJsExports),
    import('@opentelemetry/instrumentation-ioredis').then(commonJsExports),
  ]);
  const pg = cjsExports(pgModule);
  const mysql = cjsExports(mysqlModule);
  // `enabled: false`: no require/import hook is installed; the patches below do the work.
  return [
    {
      // Query text is the parametrised SQL (Kysely never inlines values); values are never recorded.
      instrumentation: new pgOtel.PgInstrumentation({
        enabled: false,
        requireParentSpan: true,
        enhancedDatabaseReporting: false,
      }),
      // pg's Pool extends pg-pool's: the instrumentation patches the base class.
      targets: [
        ['pg', pg],
        ['pg-pool', Object.getPrototypeOf(pg.Pool)],
      ],
    },
    {
      // mysql2's default would format the values into the recorded query text: mask it.
      instrumentation: new mysqlOtel.MySQL2Instrumentation({ enabled: false, maskStatement: true }),
      targets: [
        ['mysql2', mysql],
        ['mysql2/lib/connection.js', mysql.Connection],
      ],
    },
    {
      // Keys are session and rate-limit ids: record the command name only.
      instrumentation: new redisOtel.IORedisInstrumentation({
        enabled: false,
        requireParentSpan: true,
        dbStatementSerializer: (command) => command,
      }),
      targets: [['ioredis', cjsExports(redisModule)]],
    },
  ];
}

/**
 * Applies each instrumentation's own patches to the driver modules already loaded. The instrumentations
 * normally patch a module as `require` loads it; under ESM the services import the drivers before
 * `startTracing` runs, and in a bundle there is no `require` of them at all, so the hooks would never fire.
 * Returns the undo.
 */
function patchDrivers(drivers: readonly DriverPatch[], provider: unknown): () => void {
  const undo: (() => void)[] = [];
  for (const { instrumentation, targets } of drivers) {
    instrumentation.setTracerProvider(provider);
    const exportsOf = new Map(targets);
    for (const definition of instrumentation.getModuleDefinitions()) {
      const moduleExports = exportsOf.get(definition.name);
      if (moduleExports !== undefined && definition.patch) {
        definition.patch(moduleExports);
        undo.push(() => definition.unpatch?.(moduleExports));
      }
      for (const file of definition.files) {
        const fileExports = exportsOf.get(file.name);
        if (fileExports === undefined) continue;
        file.patch(fileExports);
        undo.push(() => file.unpatch(fileExports));
      }
    }
  }
  return () => {
    for (const step of undo.reverse()) step();
  };
}

/**
 * Keeps the configured sampler for everything but database and Redis calls made outside any span (outbox
 * pollers, lease renewals, the mysql2 driver has no `requireParentSpan`): those would start a trace of
 * their own every second or so and bury the traces of requests.
 */
function withoutRootClientCalls(
  sampler: Sampler,
  activeSpan: (context: Context) => unknown,
  dropped: SamplingResult,
): Sampler {
  return {
    shouldSample(
      context: Context,
      traceId: string,
      name: string,
      kind: SpanKind,
      attributes: Attributes,
      links: Link[],
    ) {
      if (attributes['db.system.name'] !== undefined && activeSpan(context) === undefined) return dropped;
      return sampler.shouldSample(context, traceId, name, kind, attributes, links);
    },
    toString: () => `WithoutRootClientCalls{${sampler.toString()}}`,
  };
}
