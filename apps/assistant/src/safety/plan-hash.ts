import { createHash, createHmac } from 'node:crypto';
import type { Plan } from '../plan/plan.ts';

/** JSON with object keys sorted at every depth, so equal plans always hash alike. */
export function canonicalizeJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalizeJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalizeJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Hash binding a plan to the user and session that may confirm it. With a key it is an HMAC, so a row
 * edited in the database (another plan, another user) no longer verifies.
 */
export function hashPlanBinding(plan: Plan, userId: string, sessionId: string, key?: string): string {
  const material = canonicalizeJson({ plan, userId, sessionId });
  return key
    ? createHmac('sha256', key).update(material).digest('hex')
    : createHash('sha256').update(material).digest('hex');
}
