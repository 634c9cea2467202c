import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaCompiler,
  type FastifySchemaValidationError,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { AppError, NotAuthenticatedError } from './errors.ts';
import { answerClientError, answerFrameworkError, codeForStatus } from './framework-errors.ts';
import { identityHeader, verifyIdentity, type Identity } from './identity.ts';
import { createAccessLog, type Logger } from './logger.ts';
import { createHttpMetrics, registerReadinessGauge, type HttpMetrics } from './metrics.ts';
import { addTraceIdHooks } from './tracing.ts';

/** A Fastify instance whose routes take TypeBox schemas and infer their types from them. */
export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Shared with `runService`: once draining, `/ready` answers 503 so a balancer stops sending requests. */
export interface LifecycleState {
  draining: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: LifecycleState;
  }
  interface FastifyRequest {
    /** The caller, verified from the gateway's assertion. Absent only on public routes. */
    identity?: Identity;
    /** The request's trace id while tracing is on (see `addTraceIdHooks`). */
    traceId?: string | undefined;
  }
  interface FastifyInstance {
    /** The app's metrics registry: services add their own metrics and collectors to it. */
    metrics: HttpMetrics;
  }
  interface FastifyContextConfig {
    /** Routes that answer without an identity assertion (health, readiness, metrics, OpenAPI). */
    public?: boolean;
  }
}

export interface ServiceAppOptions {
  /** Service name: logs, metrics and the OpenAPI title. */
  name: string;
  version?: string;
  description?: string;
  log: Logger;
  /** Key that verifies identity assertions. Without it, every non-public route answers 401. */
  identitySecret: string;
  /** Readiness checks (database ping, required dependencies); each throws when not ready. */
  readinessChecks?: ReadonlyArray<{ name: string; check: () => Promise<void> }>;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Whether to trust X-Forwarded-* (only the gateway sits in front of a service). */
  trustProxy?: boolean | string | string[];
  /** Whether to verify identity assertions on non-public routes (the gateway does its own auth). */
  requireIdentity?: boolean;
  /**
   * Answers requests no route matched before the default JSON 404 does (the gateway serves its web app's
   * "page not found" this way). Return the reply when handled, `undefined` to fall through.
   */
  notFound?: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  /**
   * Share of successful (< 400) requests that get an access-log line, 0–1 (`LOG_SUCCESS_SAMPLE_RATE`).
   * Failed and slow requests are always logged. Default 1: every request.
   */
  accessLogSampleRate?: number;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

// TypeBox validation: request bodies are checked as sent (a number is not a string), while querystring,
// params and headers arrive as text and are converted to the schema's types first. Defaults apply to both.
const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = Compile(schema);
  // Filling defaults walks the whole value (tens of ms for a 1,000-event batch): only when there are any.
  const hasDefaults = JSON.stringify(schema).includes('"default"');
  return (input: unknown) => {
    const converted = httpPart === 'body' ? input : Value.Convert(schema, input);
    const value = hasDefaults ? Value.Default(schema, converted) : converted;
    if (checker.Check(value)) return { value };
    return { error: checker.Errors(value) as unknown as FastifySchemaValidationError[] };
  };
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function describeValidation(context: string | undefined, issues: readonly ValidationIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const where = `${context ?? 'request'}${(issue.instancePath ?? '').replace(/\//g, '.')}`;
      return `${where} ${issue.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** The one error body every service answers with. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: Record<string, unknown>;
    requestId: string;
    traceId?: string;
  };
}

function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const body: ErrorBody = {
    error: {
      code,
      message,
      requestId: request.id,
      ...(request.traceId ? { traceId: request.traceId } : {}),
      ...(details ? { details } : {}),
    },
  };
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

/** How long a client may go on sending a body refused with 413 before its connection is cut. */
const refusedUploadDrainMs = 5_000;

/**
 * Fastify answers a body over the limit with `Connection: close` while the client may still be sending it;
 * closing a socket with unread data makes the kernel reset the connection, and a client that is still
 * writing then gets the reset instead of the 413 (the attack fuzzer saw it once in 12,000 requests). As
 * RFC 9112 §9.6 advises, the rest of the upload is read and dropped instead (Node does that once the answer
 * is sent on a kept-alive connection), and the connection is cut if the upload has not ended within
 * `refusedUploadDrainMs`, so an endless upload costs at most that. The gateway does the same (ADR 0031).
 */
function drainRefusedUpload(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete) return;
  reply.removeHeader('connection');
  const timer = setTimeout(() => raw.socket.destroy(), refusedUploadDrainMs);
  timer.unref();
  raw.once('end', () => clearTimeout(timer));
  raw.socket.once('close', () => clearTimeout(timer));
}

/**
 * Builds a service's HTTP app with what every service shares: request ids (taken from `x-request-id` when
 * the gateway sends one), TypeBox validation, one error handler and body shape, identity assertions on
 * every non-public route, `GET /health`, `GET /ready`, `GET /metrics`, and `GET /openapi.json`.
 * Registers no business routes and starts nothing: the caller adds routes, then listens (see `runService`).
 *
 * @example
 * const app = await createServiceApp({ name: 'history', log, identitySecret });
 * app.get('/history/list', { schema: { querystring: ListQuery } }, handler);
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: false,
    // One access-log line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify's default builds a pino child per request (its bindings serialized, every level method
    // re-bound): ≈ 20 % of a small request. Requests log through the root logger and name their `reqId`
    // on the few lines they write (errors); a route with its own log level still gets a child.
    childLoggerFactory: (logger, bindings, opts) =>
      opts.level && opts.level !== logger.level ? logger.child(bindings, opts) : logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    // Keep-alive sockets that sit idle are closed at shutdown; in-flight requests are let finish, and so
    // are requests that arrive on a busy keep-alive connection while closing (answered with
    // `Connection: close`, so the client moves to another replica). Fastify's default answers those 503,
    // which a client counts as failed: 5 of 600 requests in the replica drain test.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false } },
    // Errors before routing (a 414, a URL that does not decode, unparsable HTTP) keep the platform's shape.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);

  // Callback-style hooks: an async hook costs a promise and a microtask per request for work that is
  // synchronous. The request id header and the identity check share one hook.
  const verifyIdentities = options.requireIdentity !== false;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Public routes, and unknown routes (they fall through to the 404 handler without revealing
    // anything), need no identity.
    if (verifyIdentities && !request.routeOptions.config.public && request.routeOptions.url) {
      const header = request.headers[identityHeader];
      try {
        request.identity = verifyIdentity(
          typeof header === 'string' ? header : undefined,
          options.identitySecret,
        );
      } catch (err) {
        done(err as Error);
        return;
      }
    }
    done();
  });
  addTraceIdHooks(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `ASHapp ${options.name}`,
        version: options.version ?? '0.1.0',
        ...(options.description ? { description: options.description } : {}),
      },
      components: {
        securitySchemes: {
          gatewayIdentity: {
            type: 'apiKey',
            in: 'header',
            name: identityHeader,
            description: 'Signed, short-lived identity assertion issued by the gateway.',
          },
        },
      },
      security: [{ gatewayIdentity: [] }],
    },
  });

  const metrics = createHttpMetrics({ service: options.name });
  app.decorate('metrics', metrics);
  registerReadinessGauge(metrics.registry, options.readinessChecks ?? []);
  const accessLog = createAccessLog(options.log, { successSampleRate: options.accessLogSampleRate ?? 1 });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    metrics.observe({ method: request.method, route, status: reply.statusCode, seconds: ms / 1000 });
    // Probes and scrapes (public routes at level warn) arrive every few seconds: not access-logged.
    if (request.routeOptions.logLevel !== 'warn') {
      accessLog.write({
        reqId: request.id,
        traceId: request.traceId,
        method: request.method,
        url: request.url,
        route,
        status: reply.statusCode,
        ms,
      });
    }
    done();
  });

  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) request.log.error({ err, reqId: request.id }, 'request failed');
      if (err.status === 429 && 'retryAfterSeconds' in err)
        reply.header('retry-after', String(err.retryAfterSeconds));
      return sendError(
        reply,
        request,
        err.status,
        err.code,
        err.expose ? err.message : 'internal error',
        err.expose ? err.details : undefined,
      );
    }
    const fastifyErr = err as FastifyError;
    if (fastifyErr.validation) {
      return sendError(
        reply,
        request,
        400,
        'INPUT_INVALID',
        describeValidation(fastifyErr.validationContext, fastifyErr.validation as ValidationIssue[]),
      );
    }
    const status = fastifyErr.statusCode ?? 500;
    if (status === 413) {
      drainRefusedUpload(request, reply);
      return sendError(reply, request, 413, 'PAYLOAD_TOO_LARGE', 'request body too large');
    }
    if (status === 415) return sendError(reply, request, 415, 'UNSUPPORTED_MEDIA_TYPE', fastifyErr.message);
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (malformed JSON, empty body with a JSON content type …) are the client's fault.
      return sendError(reply, request, status, codeForStatus(status), fastifyErr.message);
    }
    request.log.error({ err, reqId: request.id }, 'unhandled error');
    return sendError(reply, request, 500, 'INTERNAL', 'internal error');
  });

  app.setNotFoundHandler(async (request, reply) => {
    const handled = options.notFound ? await options.notFound(request, reply) : undefined;
    if (handled) return handled;
    return sendError(
      reply,
      request,
      404,
      'NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
  });

  // Probes and scrapes arrive every few seconds: their request lines would drown the log.
  const publicRoute = { config: { public: true }, schema: { hide: true }, logLevel: 'warn' } as const;
  app.get('/health', publicRoute, async () => ({ status: 'ok', service: options.name }));
  const lifecycle: LifecycleState = { draining: false };
  app.decorate('lifecycle', lifecycle);
  app.get('/ready', publicRoute, async (request, reply) => {
    if (lifecycle.draining) {
      return reply.status(503).send({ status: 'draining', service: options.name, failures: {} });
    }
    const failures: Record<string, string> = {};
    for (const { name, check } of options.readinessChecks ?? []) {
      try {
        await check();
      } catch (err) {
        failures[name] = (err as Error).message;
      }
    }
    if (Object.keys(failures).length > 0) {
      request.log.warn({ failures, reqId: request.id }, 'not ready');
      return reply.status(503).send({ status: 'unavailable', service: options.name, failures });
    }
    return { status: 'ready', service: options.name };
  });
  app.get('/metrics', publicRoute, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', publicRoute, async () => app.swagger());

  return app;
}

/** The identity of the caller on a route that requires one (every non-public route). */
export function requireIdentity(request: FastifyRequest): Identity {
  if (!request.identity) throw new NotAuthenticatedError();
  return request.identity;
}
