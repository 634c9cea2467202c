import { UpstreamError, type ServiceResponse } from '@ashapp/platform';

/**
 * The body of an answer with the status the contract promises; any other status is the target refusing
 * the call: an `UpstreamError` naming the target, the status and its error code, so the caller can log
 * or pass it on without reading the body itself.
 */
export function expectStatus<T>(target: string, res: ServiceResponse<T>, status: number): T {
  if (res.status === status) return res.body;
  const body = res.body as { error?: { code?: unknown } } | undefined;
  const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
  throw new UpstreamError(`${target} answered ${res.status}`, {
    service: target,
    status: res.status,
    ...(code ? { code } : {}),
  });
}
