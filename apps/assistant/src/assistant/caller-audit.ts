import type { AuditOutbox } from '@ashapp/platform';
import type { Caller } from './views.ts';

/** One audit event for what a caller did: who, from where, which request; the data as given. */
export async function recordCallerEvent(
  audit: Pick<AuditOutbox, 'record'>,
  caller: Caller,
  action: string,
  requestData: Record<string, unknown>,
  responseSummary: Record<string, unknown>,
): Promise<void> {
  await audit.record({
    user_id: caller.identity.userId,
    endpoint: caller.meta.endpoint,
    action_type: action,
    request_data: requestData,
    response_summary: responseSummary,
    ip_address: caller.meta.ip,
    ...(caller.meta.userAgent ? { user_agent: caller.meta.userAgent } : {}),
    request_id: caller.identity.requestId,
  });
}
