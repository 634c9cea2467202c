import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/*
 * Errors Fastify and Node answer before any route or error handler runs: a URL that does not decode, a
 * path parameter over `maxParamLength` (414), a request Node cannot parse (400), headers over the limit
 * (431), a client too slow to send its request (408). Their own bodies have another shape
 * (`{statusCode, error, message}`); these answer the platform's `{error: {code, message, requestId}}`.
 */

/** The platform's error code for a status Fastify or Node chose. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'INPUT_INVALID';
    case 401:
      return 'NOT_AUTHENTICATED';
    case 403:
      return 'NOT_ALLOWED';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 408:
      return 'REQUEST_TIMEOUT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 414:
      return 'URI_TOO_LONG';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    case 431:
      return 'HEADERS_TOO_LARGE';
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'INPUT_INVALID';
  }
}

/** Fastify's `frameworkErrors`: routing-level failures in the platform's body shape. */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  let status: number;
  let message: string;
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      status = 414;
      message = 'a path segment of this URL is too long';
      break;
    case 'FST_ERR_BAD_URL':
      status = 400;
      message = 'the URL is not valid (a path segment does not decode)';
      break;
    default:
      status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      message = status >= 500 ? 'internal error' : error.message;
  }
  if (status >= 500) request.log.error({ err: error, reqId: request.id }, 'framework error');
  reply.header('x-request-id', request.id);
  // Fastify ignores what this returns, and a returned reply (a thenable) would sit where void is expected.
  reply
    .status(status)
    .type('application/json; charset=utf-8')
    .send({ error: { code: codeForStatus(status), message, requestId: request.id } });
}

const clientErrorAnswers: Record<string, { status: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, message: 'the request line or headers are too large' },
  HPE_URI_TOO_LONG: { status: 414, message: 'the URL is too long' },
};

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refused. There is no request object yet, so the
 * answer is written to the socket directly, with a fresh request id, and the connection closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset or an already closed socket has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = error.code ? clientErrorAnswers[error.code] : undefined;
  const status = known?.status ?? 400;
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: {
      code: codeForStatus(status),
      message: known?.message ?? 'the request could not be parsed as HTTP',
      requestId,
    },
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
