import type { Logger } from './logger.ts';
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
 * from the undici instrumentation (diagnostics channels too). Spans of our own use `withSpan`.
 *
 * @example
 * const tracing = await startTracing(readTracingConfig('history', process.env), log);
 * // … on shutdown:
 * await tracing.shutdown();
 */
export async function startTracing(config: TracingConfig, log: Logger): Promise<TracingHandle> {
  if (!config.enabled) return { enabled: false, shutdown: async () => {} };

  const [api, sdk, resources, fastifyOtel, undici, exporterModule] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@fastify/otel'),
    import('@opentelemetry/instrumentation-undici'),
    config.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);

  const ratio = new sdk.TraceIdRatioBasedSampler(config.samplerRatio);
  const sampler = {
    always_on: new sdk.AlwaysOnSampler(),
    always_off: new sdk.AlwaysOffSampler(),
    traceidratio: ratio,
    parentbased_always_on: new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
    parentbased_always_off: new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() }),
    parentbased_traceidratio: new sdk.ParentBasedSampler({ root: ratio }),
  }[config.sampler];

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
  log.info(
    { endpoint: config.tracesUrl, protocol: config.protocol, sampler: config.sampler },
    'tracing on: exporting spans over OTLP',
  );

  return {
    enabled: true,
    async shutdown() {
      for (const instrumentation of instrumentations) instrumentation.disable();
      try {
        await provider.shutdown();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'tracing: final export failed');
      }
    },
  };
}
