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
