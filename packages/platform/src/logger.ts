import { pino, type Logger, type LoggerOptions } from 'pino';
import { maskSecretsInText } from './masking.ts';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log object. Request headers are never logged whole,
 * but a stray object with credentials in it must not be either.
 */
export const redactedLogPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-ashapp-identity"]',
  'req.headers["x-ashapp-aws-credentials"]',
  'res.headers["set-cookie"]',
  'req.headers["x-amz-security-token"]',
  ...[
    'password',
    'secret',
    'secret_key',
    'secretKey',
    'secretAccessKey',
    'sessionToken',
    'token',
    'docker_token',
    'access_key',
    'accessKeyId',
    'authorization',
    'credentials',
    'apiKey',
    'databaseUrl',
    'internalAuthSecret',
    'session_token',
    'client_secret',
    'private_key',
    'privateKey',
    'api_key',
    'aws_secret_access_key',
    'aws_session_token',
    'redisUrl',
  ].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with secrets in the URL (`?token=…`, `user:pass@`) masked. */
function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? maskSecretsInText(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * Creates the process's root logger (JSON lines on stdout). Services take a child per request from
 * Fastify; other components take `log.child({ component })`.
 *
 * @example
 * const log = createLogger({ name: 'history', level: 'info' });
 */
export function createLogger(options: {
  name: string;
  level?: string;
  destination?: pino.DestinationStream;
}): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    // Known secret fields by path; secret-shaped text in messages and request URLs by the masking rules.
    redact: { paths: [...redactedLogPaths], censor: '[redacted]' },
    serializers: { req: serializeRequest },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const arg: unknown = args[i];
          if (typeof arg === 'string') args[i] = maskSecretsInText(arg);
        }
        method.apply(this, args as Parameters<typeof method>);
      },
    },
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** One answered request, as the access log records it. */
export interface AccessRecord {
  reqId: string;
  traceId?: string | undefined;
  method: string;
  url: string;
  route: string;
  status: number;
  /** Time to answer in milliseconds. */
  ms: number;
}

/** Requests slower than this are access-logged whatever the sampling. */
const slowRequestMs = 1000;

/**
 * The access log: one JSON line per answered request on the logger's own stream, in its line format
 * (level, time, the logger's bindings). Every field is known: the URL is masked, the rest are ids, numbers
 * and route patterns, so the line skips pino's redaction pass and is built with one `JSON.stringify`.
 * With `successSampleRate` below 1 only that share of successful, fast requests is written; failed (≥ 400)
 * and slow ones always are. The metrics count every request either way.
 *
 * @example
 * const access = createAccessLog(log, { successSampleRate: 0.1 });
 * access.write({ reqId, method: 'GET', url: '/history/list', route: '/history/list', status: 200, ms: 1.2 });
 */
export function createAccessLog(
  logger: Logger,
  options: { successSampleRate: number },
): { write(record: AccessRecord): void } {
  const stream = (logger as unknown as Record<symbol, { write(line: string): unknown } | undefined>)[
    pino.symbols.streamSym
  ];
  const bindings = String((logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym] ?? '');
  const rate = Math.min(1, Math.max(0, options.successSampleRate));
  // A running share rather than a random draw: exactly `rate` of the successful requests, evenly spread.
  let credit = 0;
  return {
    write(record) {
      if (!stream) return;
      const failed = record.status >= 400;
      const level = record.status >= 500 ? 50 : failed ? 40 : 30;
      if (!logger.isLevelEnabled(pino.levels.labels[level] ?? 'info')) return;
      if (!failed && record.ms < slowRequestMs && rate < 1) {
        credit += rate;
        if (credit < 1) return;
        credit -= 1;
      }
      const fields = JSON.stringify({
        reqId: record.reqId,
        ...(record.traceId ? { traceId: record.traceId } : {}),
        method: record.method,
        url: maskSecretsInText(record.url),
        route: record.route,
        statusCode: record.status,
        responseTime: Math.round(record.ms * 1000) / 1000,
        msg: 'request completed',
      });
      stream.write(`{"level":${level},"time":"${new Date().toISOString()}"${bindings},${fields.slice(1)}\n`);
    },
  };
}
