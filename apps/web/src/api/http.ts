/**
 * The one place the browser talks HTTP to the gateway. Every feature client is built on `HttpClient`
 * so CSRF, error parsing and the 401 redirect behave the same everywhere.
 */

const CSRF_COOKIE = 'ashapp_csrf';
const CSRF_HEADER = 'x-csrf-token';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly details: unknown;

  constructor(input: {
    code: string;
    message: string;
    status: number;
    requestId?: string;
    details?: unknown;
  }) {
    super(input.message);
    this.name = 'ApiError';
    this.code = input.code;
    this.status = input.status;
    this.requestId = input.requestId;
    this.details = input.details;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** false for calls where 401 is an answer to show (sign-in), not a reason to leave the page. */
  redirectOn401?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface HttpClient {
  request<T>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  json<T>(path: string, options?: RequestOptions): Promise<T>;
}

export interface HttpClientDeps {
  /** Called once per 401 from a call that allows redirecting; the app sends the user to /login. */
  onUnauthenticated: () => void;
  /** Injected so tests can answer without a network. */
  fetchImpl?: typeof fetch;
  /** Injected so tests can supply cookies without a document. */
  readCookies?: () => string;
}

export function readCookie(cookieHeader: string, name: string): string | undefined {
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

export function buildPath(path: string, query?: Record<string, string | number | undefined>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  if (!qs) return path;
  return path.includes('?') ? `${path}&${qs}` : `${path}?${qs}`;
}

/** Returns the target of `rel="next"` in an RFC 8288 Link header, or undefined. */
export function parseNextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  // Entries are comma-separated, but a URL may itself hold commas, so match entry by entry.
  const entry = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g;
  for (const match of header.matchAll(entry)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(params)?.[1];
    if (rel && rel.split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

/**
 * Keeps a server-provided link on our own origin: a link pointing elsewhere is never followed with the
 * session cookie. Returns path + query, or undefined when the link is foreign.
 */
export function toSameOriginPath(link: string, origin: string): string | undefined {
  try {
    const url = new URL(link, origin);
    if (url.origin !== origin) return undefined;
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}

function isErrorBody(
  value: unknown,
): value is { error: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown } } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'error' in value &&
    typeof value.error === 'object' &&
    value.error !== null
  );
}

export function toApiError(status: number, body: unknown, statusText = ''): ApiError {
  if (isErrorBody(body)) {
    const { code, message, requestId, details } = body.error;
    return new ApiError({
      status,
      code: typeof code === 'string' ? code : `http_${status}`,
      message: typeof message === 'string' && message ? message : `Request failed (${status})`,
      requestId: typeof requestId === 'string' ? requestId : undefined,
      details,
    });
  }
  const fallback =
    status === 503 || status === 502 || status === 504
      ? 'The service is not available right now. Try again in a moment.'
      : status === 429
        ? 'Too many requests. Wait a moment and try again.'
        : `Request failed (${status}${statusText ? ` ${statusText}` : ''})`;
  return new ApiError({ status, code: `http_${status}`, message: fallback });
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export function createHttpClient(deps: HttpClientDeps): HttpClient {
  const fetchImpl = deps.fetchImpl ?? ((input, init) => fetch(input, init));
  const readCookies = deps.readCookies ?? (() => document.cookie);

  async function request<T>(
    path: string,
    options: RequestOptions = {},
    retried = false,
  ): Promise<HttpResponse<T>> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const sentToken = STATE_CHANGING.has(method) ? readCookie(readCookies(), CSRF_COOKIE) : undefined;
    if (sentToken) headers[CSRF_HEADER] = sentToken;
    let response: Response;
    try {
      response = await fetchImpl(buildPath(path, options.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: options.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError({
        status: 0,
        code: 'network',
        message: 'Cannot reach the server. Check your connection.',
      });
    }
    const data = await readBody(response);
    // The gateway reissues the CSRF cookie when the session behind it changed (expired, signed out in
    // another tab); a 403 that came with a fresh cookie is worth exactly one retry with it.
    if (response.status === 403 && STATE_CHANGING.has(method) && !retried) {
      const current = readCookie(readCookies(), CSRF_COOKIE);
      if (current && current !== sentToken) return request<T>(path, options, true);
    }
    if (!response.ok) {
      if (response.status === 401 && options.redirectOn401 !== false) deps.onUnauthenticated();
      throw toApiError(response.status, data, response.statusText);
    }
    return { data: data as T, status: response.status, headers: response.headers };
  }

  return {
    request,
    async json<T>(path: string, options?: RequestOptions): Promise<T> {
      return (await request<T>(path, options)).data;
    },
  };
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
