import {
  context,
  propagation,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export type { Attributes, Span } from '@opentelemetry/api';

// The API alone (no SDK) answers every call with a non-recording span: with tracing off these helpers
// cost a function call, and the SDK is never loaded (see tracing-sdk.ts and docs/adr/0015-tracing.md).
const tracerName = '@ashapp/platform';

/**
 * Runs `fn` inside a span of its own, a child of whatever span is active (the request, a deploy). The span
 * ends when `fn` settles; a throw marks it as an error and records the exception (its message only: error
 * messages here are already free of secrets). A no-op wrapper when tracing is off.
 *
 * @example
 * const run = await withSpan('aws.cli', { 'aws.operation': 'describe-instances' }, async (span) => {
 *   const result = await execute();
 *   span.setAttribute('process.exit_code', result.exitCode);
 *   return result;
 * });
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  return trace.getTracer(tracerName).startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException({
        name: (err as Error)?.name ?? 'Error',
        message: (err as Error)?.message ?? String(err),
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** `withSpan` for synchronous work (validation, parsing): same span, no promise. */
export function withSyncSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return trace.getTracer(tracerName).startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (err) {
      span.recordException({
        name: (err as Error)?.name ?? 'Error',
        message: (err as Error)?.message ?? String(err),
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The trace id of the active span, or `undefined` when there is none (tracing off, outside a request). */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return spanContext.traceId;
}

/** The W3C `traceparent` of the active span, or `undefined` when there is none. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Adds `traceparent` (and `tracestate`) of the active span to outgoing headers; nothing when tracing is off. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** Runs `fn` as a continuation of the trace a stored `traceparent` names (audit delivery, resumed work). */
export function withTraceparent<T>(traceparent: string | undefined, fn: () => T): T {
  if (!traceparent) return fn();
  const parent: Context = propagation.extract(context.active(), { traceparent });
  return context.with(parent, fn);
}

/**
 * Ties a request to its trace: the trace id goes on every later log line of the request (`traceId` next to
 * `reqId`), on the `x-trace-id` response header and on `request.traceId` for error bodies. Registered by
 * `createServiceApp`; does nothing per request when tracing is off.
 */
export function addTraceIdHooks(app: {
  decorateRequest(name: 'traceId', value: undefined): unknown;
  addHook(
    name: 'onRequest',
    hook: (request: TraceableRequest, reply: TraceableReply) => Promise<void>,
  ): unknown;
}): void {
  app.decorateRequest('traceId', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const traceId = currentTraceId();
    if (!traceId) return;
    request.traceId = traceId;
    request.log = request.log.child({ traceId });
    reply.log = request.log;
    reply.header('x-trace-id', traceId);
  });
}

interface TraceableRequest {
  traceId?: string | undefined;
  log: { child(bindings: Record<string, unknown>): TraceableRequest['log'] };
}
interface TraceableReply {
  log: TraceableRequest['log'];
  header(name: string, value: string): unknown;
}

/** Attributes of a database span (OpenTelemetry semantic conventions), for `withSpan` around a transaction. */
export function dbSpanAttributes(dialect: 'sqlite' | 'mysql' | 'postgres', rows?: number): Attributes {
  return {
    'db.system.name': dialect === 'postgres' ? 'postgresql' : dialect,
    ...(rows !== undefined ? { 'db.operation.batch.size': rows } : {}),
  };
}
