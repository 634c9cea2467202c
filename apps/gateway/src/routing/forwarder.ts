import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Transform, type Readable } from 'node:stream';
import {
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
import type { FastifyReply, FastifyRequest } from 'fastify';

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
  close(): void;
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

/**
 * A streaming reverse proxy over keep-alive connections: request bodies are piped to the service as they
 * arrive, answers (server-sent events included) are piped back chunk by chunk without buffering.
 */
export function createForwarder(options: {
  serviceUrls: Readonly<Record<ServiceName, string>>;
  identitySecret: string;
  bodyLimit: number;
  timeoutMs: number;
}): Forwarder {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxFreeSockets: 64, noDelay: true }),
    https: new https.Agent({ keepAlive: true, maxFreeSockets: 64, noDelay: true }),
  };

  function unavailable(service: ServiceName) {
    return new UnavailableError(`${service} is unavailable`, { service });
  }

  // Each service's address parsed once, not per forwarded request.
  const targets = new Map<ServiceName, { base: URL; isHttps: boolean; basePath: string }>();
  function targetOf(service: ServiceName) {
    let target = targets.get(service);
    if (!target) {
      const base = new URL(options.serviceUrls[service]);
      target = { base, isHttps: base.protocol === 'https:', basePath: base.pathname.replace(/\/+$/, '') };
      targets.set(service, target);
    }
    return target;
  }

  function send(
    request: FastifyRequest,
    reply: FastifyReply,
    options_: ForwardOptions,
  ): Promise<IncomingMessage> {
    const { base, isHttps, basePath } = targetOf(options_.service);
    const headers = buildHeaders(request, options_, options.identitySecret);
    const limit = Math.min(options_.bodyLimit ?? options.bodyLimit, options.bodyLimit);
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!options_.body && declared > limit) {
      return Promise.reject(tooLarge(limit));
    }
    return new Promise((resolve, reject) => {
      const upstream = (isHttps ? https : http).request({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port || (isHttps ? 443 : 80),
        method: request.method,
        path: basePath + options_.path,
        headers,
        agent: isHttps ? agents.https : agents.http,
      });
      let answered = false;
      let upstreamResponse: IncomingMessage | undefined;
      const timer = setTimeout(() => upstream.destroy(new Error('no answer in time')), options.timeoutMs);
      upstream.once('response', (res) => {
        answered = true;
        upstreamResponse = res;
        clearTimeout(timer);
        if (!upstream.writableEnded) stopForwardingBody();
        // A request the service did not read to the end leaves its connection mid-request: it cannot
        // carry another one, so it is closed instead of going back to the keep-alive pool.
        res.once('end', () => {
          if (!upstream.writableFinished) upstream.destroy();
        });
        resolve(res);
      });
      upstream.on('error', (err) => {
        clearTimeout(timer);
        if (answered) return;
        if (err instanceof PayloadTooLargeError) reject(err);
        else {
          request.log.warn({ target: options_.service, err: err.message }, 'service unreachable');
          reject(unavailable(options_.service));
        }
      });
      // The caller went away (closed the SSE tab, aborted a fetch): stop the work upstream too. A
      // response that completed has already handed its socket back to the keep-alive pool.
      reply.raw.once('close', () => {
        if (!answered) upstream.destroy();
        else if (upstreamResponse && !upstreamResponse.complete) upstreamResponse.destroy();
      });
      const body = request.body as Readable | undefined;
      // The service answered before it had the whole body (a 415, a 401): the rest is not sent to it,
      // whatever it does with its end of the connection; the caller's upload is read and dropped so the
      // caller gets the answer on a connection it can keep.
      let stopForwardingBody = () => {};
      if (options_.body) {
        upstream.end(options_.body);
      } else if (body && typeof body.pipe === 'function') {
        const limiter = limitBody(limit);
        stopForwardingBody = () => {
          body.unpipe(limiter);
          limiter.unpipe(upstream);
          discardRest(body, options.bodyLimit);
        };
        limiter.on('error', (err) => {
          upstream.destroy(err);
          stopForwardingBody();
        });
        body.pipe(limiter).pipe(upstream);
      } else {
        upstream.end();
      }
    });
  }

  return {
    async forward(request, reply, forwardOptions) {
      const res = await send(request, reply, forwardOptions);
      reply.status(res.statusCode ?? 502);
      const responseHeaders: IncomingHttpHeaders = res.headers;
      for (const [name, value] of Object.entries(responseHeaders)) {
        if (value === undefined || dropResponseHeaders.has(name)) continue;
        if (name === 'link' && forwardOptions.rewriteLink && typeof value === 'string') {
          reply.header('link', forwardOptions.rewriteLink(value));
        } else reply.header(name, value);
      }
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        // Tell any proxy in front of us not to buffer the live feed either.
        reply.header('x-accel-buffering', 'no');
        reply.header('cache-control', 'no-cache');
      }
      return reply.send(res);
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
