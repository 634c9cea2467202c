/**
 * Typed errors with stable codes. Throw these from any layer; the server kit's error handler maps each to
 * its status and one body shape `{ error: { code, message, details?, requestId } }`.
 *
 * @example
 * throw new InputError('limit must be between 1 and 500', { field: 'limit' });
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** Whether `message` may be shown to the caller. 5xx messages never are. */
  readonly expose: boolean;

  constructor(
    status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    options: { expose?: boolean } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
    this.expose = options.expose ?? status < 500;
  }
}

/** 400: the request is malformed; the message says what was wrong. */
export class InputError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, 'INPUT_INVALID', message, details);
  }
}

/** 401: no valid identity (session, bearer token or internal assertion). */
export class NotAuthenticatedError extends AppError {
  constructor(message = 'authentication required', details?: Record<string, unknown>) {
    super(401, 'NOT_AUTHENTICATED', message, details);
  }
}

/** 403: the caller is known but may not do this. */
export class NotAllowedError extends AppError {
  constructor(message = 'not allowed', details?: Record<string, unknown>) {
    super(403, 'NOT_ALLOWED', message, details);
  }
}

/** 404: the thing asked for does not exist (or is not visible to the caller). */
export class NotFoundError extends AppError {
  constructor(message = 'not found', details?: Record<string, unknown>) {
    super(404, 'NOT_FOUND', message, details);
  }
}

/** 409: the request conflicts with the current state. */
export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(409, 'CONFLICT', message, details);
  }
}

/** 413: the body is larger than the route accepts. */
export class PayloadTooLargeError extends AppError {
  constructor(message = 'request body too large', details?: Record<string, unknown>) {
    super(413, 'PAYLOAD_TOO_LARGE', message, details);
  }
}

/** 429: a rate limit was hit; `retryAfterSeconds` becomes the Retry-After header. */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'too many requests') {
    super(429, 'RATE_LIMITED', message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 502: an upstream system (AWS, a registry, a cluster) answered with an error we pass on. */
export class UpstreamError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    // Upstream messages are the user's own cloud talking to them; they are safe and useful to show.
    super(502, 'UPSTREAM_ERROR', message, details, { expose: true });
  }
}

/** 503: a dependency (database, another service) is not available right now. */
export class UnavailableError extends AppError {
  constructor(message = 'service unavailable', details?: Record<string, unknown>) {
    super(503, 'UNAVAILABLE', message, details, { expose: true });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
