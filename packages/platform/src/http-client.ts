import { UnavailableError, UpstreamError } from './errors.ts';
import { identityHeader, signIdentity, type Identity } from './identity.ts';
import type { BaseServiceConfig, ServiceName } from './config.ts';
import type { Logger } from './logger.ts';

export interface ServiceRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Signed into the identity header for this call. */
  identity?: Identity;
  /** Retry on network errors and 502/503/504. Default: true for GET, HEAD, PUT, DELETE. */
  idempotent?: boolean;
  timeoutMs?: number;
}

export interface ServiceResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ServiceClient {
  readonly name: string;
  request<T = unknown>(req: ServiceRequest): Promise<ServiceResponse<T>>;
  /** `open` while the circuit breaker refuses calls after repeated failures. */
  state(): 'closed' | 'open' | 'half-open';
}

export interface ServiceClientOptions {
  /** Target service name (errors and logs). */
  name: string;
  baseUrl: string;
  identitySecret: string;
  log: Logger;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  /** Consecutive failures that open the circuit, and how long it stays open. */
  breaker?: { failureThreshold?: number; openMs?: number };
  fetch?: typeof fetch;
}

const retryableStatus = new Set([502, 503, 504]);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A typed client for calls between services: identity assertion and request id on every call, a timeout,
 * retries with exponential backoff and jitter for idempotent calls, and a circuit breaker that fails fast
 * with `UnavailableError` while the target is down.
 *
 * @example
 * const monitor = createServiceClient({ name: 'monitor', baseUrl, identitySecret, log });
 * await monitor.request({ method: 'POST', path: '/monitor/events/batch', body, identity });
 */
export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 100;
  const failureThreshold = options.breaker?.failureThreshold ?? 5;
  const openMs = options.breaker?.openMs ?? 5000;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  let consecutiveFailures = 0;
  let openedAt = 0;
  let trialInFlight = false;

  function state(): 'closed' | 'open' | 'half-open' {
    if (consecutiveFailures < failureThreshold) return 'closed';
    return Date.now() - openedAt >= openMs ? 'half-open' : 'open';
  }

  function recordFailure() {
    consecutiveFailures += 1;
    if (consecutiveFailures >= failureThreshold) openedAt = Date.now();
  }

  async function attempt(req: ServiceRequest): Promise<Response> {
    const url = new URL(baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.identity) {
      headers[identityHeader] = signIdentity(req.identity, options.identitySecret);
      headers['x-request-id'] = req.identity.requestId;
    }
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    return doFetch(url, {
      method: req.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(req.timeoutMs ?? timeoutMs),
    });
  }

  return {
    name: options.name,
    state,
    async request<T>(req: ServiceRequest): Promise<ServiceResponse<T>> {
      const current = state();
      if (current === 'open' || (current === 'half-open' && trialInFlight)) {
        throw new UnavailableError(`${options.name} is unavailable`, {
          service: options.name,
          circuit: 'open',
        });
      }
      const idempotent = req.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(req.method);
      const maxAttempts = idempotent && current === 'closed' ? retries + 1 : 1;
      if (current === 'half-open') trialInFlight = true;
      let lastError: unknown;
      try {
        for (let n = 0; n < maxAttempts; n += 1) {
          if (n > 0) await delay(backoffMs * 2 ** (n - 1) * (0.5 + Math.random()));
          try {
            const res = await attempt(req);
            if (retryableStatus.has(res.status) && n + 1 < maxAttempts) {
              await res.body?.cancel();
              lastError = new Error(`status ${res.status}`);
              continue;
            }
            const text = await res.text();
            let parsed: unknown = text;
            if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                throw new UpstreamError(`${options.name} answered malformed JSON`);
              }
            }
            if (retryableStatus.has(res.status)) recordFailure();
            else consecutiveFailures = 0;
            return { status: res.status, headers: res.headers, body: parsed as T };
          } catch (err) {
            if (err instanceof UpstreamError) throw err;
            lastError = err;
          }
        }
        recordFailure();
        options.log.warn(
          { target: options.name, path: req.path, err: (lastError as Error)?.message },
          'service call failed',
        );
        throw new UnavailableError(`${options.name} is unavailable`, { service: options.name });
      } finally {
        if (current === 'half-open') trialInFlight = false;
      }
    },
  };
}

/**
 * A client for another service of the platform, addressed and signed from the shared configuration.
 *
 * @example
 * const monitor = createPlatformClient(config, 'monitor', log);
 */
export function createPlatformClient(
  config: Pick<BaseServiceConfig, 'serviceUrls' | 'internalAuthSecret'>,
  target: ServiceName,
  log: Logger,
  options: Partial<Omit<ServiceClientOptions, 'name' | 'baseUrl' | 'identitySecret' | 'log'>> = {},
): ServiceClient {
  return createServiceClient({
    ...options,
    name: target,
    baseUrl: config.serviceUrls[target],
    identitySecret: config.internalAuthSecret,
    log,
  });
}
