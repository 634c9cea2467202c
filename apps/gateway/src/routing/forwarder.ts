import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import {
  InputError,
  PayloadTooLargeError,
  UnavailableError,
  awsCredentialsHeader,
  identityHeader,
  injectTraceContext,
  sealAwsCredentials,
  signIdentity,
  type AwsCredentials,
  type Identity,
  type ServiceName,
} from '@ashapp/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ForwardOptions {
  service: ServiceName;
  /** Path and query on the service. */
  path: string;
  identity: Identity | undefined;
  /** The user's AWS session, sealed for this one request; only for services that act in AWS. */
  awsCredentials?: AwsCredentials;
  /** Rewrites the service's `Link` header to the public path the caller used. */
  rewriteLink?: (link: string) => string;
  /** A JSON body the gateway wrote itself, sent instead of the caller's stream. */
  body?: Buffer;
  /** This route's largest body (the target service's limit); default: the forwarder's. */
  bodyLimit?: number;
}

export interface Forwarder {
  /** Streams the request to the service and its answer back; a service that cannot be reached is a 503. */
  forward(request: FastifyRequest, reply: FastifyReply, options: ForwardOptions): Promise<FastifyReply>;
}

// Headers a client may pass on. Everything else (cookies, authorization, CSRF, a forged identity
// assertion, forwarding headers) stays at the gateway.
const passRequestHeaders = [
  'accept',
  'accept-language',
  'content-type',
  'content-length',
  'content-encoding',
  'user-agent',
  'last-event-id',
  'if-none-match',
  'if-modified-since',
  'cache-control',
  // W3C trace context: replaced by the gateway's own span when tracing is on, passed on as sent when off.
  'traceparent',
  'tracestate',
];

// Hop-by-hop headers, cookies a service must never set on our origin, and headers the gateway owns.
const dropResponseHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'set-cookie',
  'server',
  'x-powered-by',
  'content-security-policy',
  'strict-transport-security',
  'x-frame-options',
]);

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `request body larger than ${limit} bytes (${Math.floor(limit / 1024)} KiB)`,
    {
      limitBytes: limit,
    },
  );
}

// The service never receives more than `limit` bytes, so it never answers 413 mid-upload and resets the
// connection under us: the gateway is the one that says 413.
function limitBody(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      seen += chunk.length;
      if (seen > limit) callback(tooLarge(limit));
      else callback(null, chunk);
    },
  });
}

/**
 * After a 413 the client may still be uploading. Reading and dropping the rest lets it finish and read the
 * answer on the same connection (a paused upload stalled until the keep-alive timeout); past `cap` more
 * bytes the connection is cut instead, so an endless upload costs nothing but the cap.
 */
function discardRest(body: Readable, cap: number): void {
  let dropped = 0;
  body.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > cap) body.destroy();
  });
  body.resume();
}

function buildHeaders(request: FastifyRequest, forward: ForwardOptions, secret: string) {
  const identity = forward.identity;
  const headers: Record<string, string> = {};
  for (const name of passRequestHeaders) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  headers['x-request-id'] = request.id;
  injectTraceContext(headers);
  headers['x-forwarded-for'] = request.ip;
  headers['x-forwarded-proto'] = request.protocol;
  // The host the user typed: the deployer advertises apps on this machine under it.
  if (request.host) headers['x-forwarded-host'] = request.host;
  if (identity) headers[identityHeader] = signIdentity(identity, secret);
  if (forward.awsCredentials) {
    headers[awsCredentialsHeader] = sealAwsCredentials(forward.awsCredentials, secret, request.id);
  }
  if (forward.body) {
    delete headers['content-encoding'];
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(forward.body.length);
  }
  return headers;
}

const eventStream = 'text/event-stream';

function copyResponseHeaders(
  headers: IncomingHttpHeaders,
  rewriteLink: ForwardOptions['rewriteLink'],
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || dropResponseHeaders.has(name)) continue;
    out[name] = name === 'link' && rewriteLink && typeof value === 'string' ? rewriteLink(value) : value;
  }
  if ((out['content-type'] ?? '').startsWith(eventStream)) {
    // Tell any proxy in front of us not to buffer the live feed either.
    out['x-accel-buffering'] = 'no';
    out['cache-control'] = 'no-cache';
  }
  return out;
}

/**
 * reply-from parses the target as a URL and decodes it to look for `..` segments: a malformed percent
 * escape would throw there (a 500) and a dot segment would be refused or normalised away. Both are the
 * caller's bad input, said as a 400 before anything is sent.
 */
function checkTarget(target: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    throw new InputError('the URL holds a malformed percent-encoded sequence');
  }
  if (decoded === '..' || decoded.includes('/..') || decoded.includes('../')) {
    throw new InputError('the URL must not contain ".." path segments');
  }
}

/** What reply-from reports as the cause of a failed forward: ours (413) or the connection's. */
function causeOf(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (current instanceof PayloadTooLargeError) return current;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return error;
}

/**
 * The streaming reverse proxy: `@fastify/reply-from` over an undici agent (one keep-alive pool per service
 * origin), with the gateway's rules around it: an allow-list of request headers, the signed identity
 * assertion and sealed AWS credentials, the per-service body limit enforced on the stream (413 from the
 * gateway, never a reset from the service), hop-by-hop/cookie/security headers dropped from answers, the
 * `Link` rewrite, server-sent events passed through unbuffered, and 503 in the error shape when a service
 * cannot be reached. Registers reply-from on `app` (it decorates every reply with `from`).
 */
export async function registerForwarder(
  app: FastifyInstance,
  options: {
    serviceUrls: Readonly<Record<ServiceName, string>>;
    identitySecret: string;
    bodyLimit: number;
    timeoutMs: number;
  },
): Promise<Forwarder> {
  await app.register(replyFrom, {
    disableRequestLogging: true,
    undici: {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // Time to the answer's headers; the body has none (a live feed stays open as long as the caller).
      headersTimeout: options.timeoutMs,
      bodyTimeout: 0,
      // A service on https has its certificate checked (stated, since reply-from's own `tls` default is off).
      connect: { rejectUnauthorized: true },
    },
  });
  const origins = Object.fromEntries(
    Object.entries(options.serviceUrls).map(([name, url]) => [name, url.replace(/\/+$/, '')]),
  ) as Record<ServiceName, string>;

  return {
    async forward(request, reply, forward) {
      const limit = Math.min(forward.bodyLimit ?? options.bodyLimit, options.bodyLimit);
      const body = request.body as Readable | undefined;
      if (!forward.body && body && typeof body.pipe === 'function') {
        const declared = Number(request.headers['content-length'] ?? 0);
        if (declared > limit) {
          discardRest(body, options.bodyLimit);
          throw tooLarge(limit);
        }
        const limiter = limitBody(limit);
        limiter.on('error', () => {
          body.unpipe(limiter);
          discardRest(body, options.bodyLimit);
        });
        request.body = body.pipe(limiter);
      }
      checkTarget(forward.path);
      const headers = buildHeaders(request, forward, options.identitySecret);
      return reply.from(origins[forward.service] + forward.path, {
        ...(forward.body ? { body: forward.body, contentType: 'application/json' } : {}),
        // A 503 from a service is its answer, passed on as is (reply-from would retry a GET ten times).
        retryDelay: () => null,
        rewriteRequestHeaders: () => headers,
        rewriteHeaders: (answer) => copyResponseHeaders(answer, forward.rewriteLink),
        onResponse: (_request, answerReply, answer) => {
          // The service answered before reading the whole upload (a 400 or 415 on its first bytes).
          // reply-from would close the connection, which resets a client still sending; instead the rest
          // is read and dropped (up to the forward limit) and the connection stays usable.
          if (!request.raw.complete && body && typeof body.pipe === 'function') {
            answerReply.removeHeader('connection');
            discardRest(body, options.bodyLimit);
          }
          void answerReply.send(answer.stream);
        },
        onError: (errorReply, { error }) => {
          const cause = causeOf(error);
          if (cause instanceof PayloadTooLargeError) {
            errorReply.send(cause);
            return;
          }
          request.log.warn({ target: forward.service, err: error.message }, 'service unreachable');
          errorReply.send(new UnavailableError(`${forward.service} is unavailable`, { service: forward.service }));
        },
      });
    },
  };
}
