import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@ashapp/platform';
import type { Plan } from '../plan/plan.ts';
import type { ConfirmationRecord, ConfirmationStore } from './confirmation-store.ts';
import { hashPlanBinding } from './plan-hash.ts';

export const CONFIRMATION_TTL_MS = 5 * 60 * 1000;

export interface ConfirmationServiceOptions {
  store: ConfirmationStore;
  now?: () => Date;
  ttlMs?: number;
  generateId?: () => string;
  /** Optional server key: plan hashes become HMACs, so rows edited in storage stop verifying. */
  hashKey?: string;
}

export interface RequestConfirmationInput {
  userId: string;
  sessionId: string;
  query: string;
  plan: Plan;
  command: string;
}

export interface ResolveConfirmationInput {
  userId: string;
  sessionId: string;
  decision: 'accept' | 'decline';
  confirmationId?: string;
  /** The original API: `{query, decision}` resolves the caller's pending confirmation for that query. */
  query?: string;
  /** If the client sends the plan it saw, it must be exactly the confirmed one. */
  plan?: Plan;
}

export interface ResolvedConfirmation {
  confirmationId: string;
  decision: 'accept' | 'decline';
  query: string;
  command: string;
  /** The exact plan that was shown; run it only when `decision` is accept. */
  plan: Plan;
}

export interface ConfirmationService {
  requestConfirmation(input: RequestConfirmationInput): Promise<{ confirmationId: string; expiresAt: Date }>;
  resolveConfirmation(input: ResolveConfirmationInput): Promise<ResolvedConfirmation>;
}

/**
 * Confirmations bound to one plan, one user and one session; single use; expiring. Accepting returns the
 * stored plan — never anything the client sends — so a confirmation can only ever run what was shown.
 */
export function createConfirmationService(options: ConfirmationServiceOptions): ConfirmationService {
  const now = options.now ?? (() => new Date());
  const ttlMs = options.ttlMs ?? CONFIRMATION_TTL_MS;
  const generateId = options.generateId ?? randomUUID;
  const { store } = options;

  async function requestConfirmation(input: RequestConfirmationInput) {
    const createdAt = now();
    const record: ConfirmationRecord = {
      id: generateId(),
      userId: input.userId,
      sessionId: input.sessionId,
      query: input.query,
      plan: structuredClone(input.plan),
      planHash: hashPlanBinding(input.plan, input.userId, input.sessionId, options.hashKey),
      command: input.command,
      status: 'pending',
      createdAt,
      expiresAt: new Date(createdAt.getTime() + ttlMs),
    };
    await store.insert(record);
    return { confirmationId: record.id, expiresAt: record.expiresAt };
  }

  async function find(input: ResolveConfirmationInput, at: Date): Promise<ConfirmationRecord> {
    if (input.confirmationId !== undefined) {
      const record = await store.findById(input.confirmationId);
      // Another user's confirmation is reported exactly like a missing one.
      if (!record || record.userId !== input.userId) throw new NotFoundError('no such confirmation');
      return record;
    }
    if (input.query !== undefined) {
      const record = await store.findPendingByQuery(input.userId, input.query, at);
      if (!record) throw new NotFoundError('no pending confirmation for this request; ask again');
      return record;
    }
    throw new InputError('confirmation_id (or the original query) is required');
  }

  async function resolveConfirmation(input: ResolveConfirmationInput): Promise<ResolvedConfirmation> {
    if (input.decision !== 'accept' && input.decision !== 'decline') {
      throw new InputError('decision must be "accept" or "decline"');
    }
    const at = now();
    const record = await find(input, at);
    if (record.sessionId !== input.sessionId)
      throw new NotAllowedError('this confirmation belongs to another session');
    if (record.status !== 'pending') throw new ConflictError('this confirmation was already used');
    if (record.expiresAt <= at) throw new ConflictError('this confirmation expired; ask again');
    const expected = hashPlanBinding(record.plan, record.userId, record.sessionId, options.hashKey);
    if (expected !== record.planHash)
      throw new ConflictError('the stored plan does not match its confirmation; nothing was run');
    if (
      input.plan !== undefined &&
      hashPlanBinding(input.plan, input.userId, input.sessionId, options.hashKey) !== record.planHash
    ) {
      throw new ConflictError('the plan differs from the one shown for confirmation; nothing was run');
    }
    const completed = await store.complete(
      record.id,
      input.decision === 'accept' ? 'accepted' : 'declined',
      at,
    );
    if (!completed) throw new ConflictError('this confirmation was already used');
    return {
      confirmationId: record.id,
      decision: input.decision,
      query: record.query,
      command: record.command,
      plan: record.plan,
    };
  }

  return { requestConfirmation, resolveConfirmation };
}
