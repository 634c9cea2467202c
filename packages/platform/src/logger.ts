import { pino, type Logger, type LoggerOptions } from 'pino';

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
  ].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

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
    redact: { paths: [...redactedLogPaths], censor: '[redacted]' },
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
