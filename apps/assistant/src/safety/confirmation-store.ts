import type { Plan } from '../plan/plan.ts';

export type ConfirmationStatus = 'pending' | 'accepted' | 'declined';

export interface ConfirmationRecord {
  id: string;
  userId: string;
  sessionId: string;
  /** The request as the user typed it (the original `/api/confirm {query}` resolves by it). */
  query: string;
  plan: Plan;
  planHash: string;
  command: string;
  status: ConfirmationStatus;
  createdAt: Date;
  expiresAt: Date;
  resolvedAt?: Date;
}

/**
 * Storage port for confirmations. A database adapter implements `complete` as one conditional UPDATE
 * (`… WHERE id = ? AND status = 'pending' AND expires_at > ?`) so a confirmation is used at most once even
 * across replicas.
 */
export interface ConfirmationStore {
  insert(record: ConfirmationRecord): Promise<void>;
  findById(id: string): Promise<ConfirmationRecord | undefined>;
  /** The newest pending, unexpired confirmation of this user for exactly this query text. */
  findPendingByQuery(userId: string, query: string, now: Date): Promise<ConfirmationRecord | undefined>;
  /** Moves a pending, unexpired confirmation to its final status; false when it was not pending any more. */
  complete(id: string, status: Exclude<ConfirmationStatus, 'pending'>, now: Date): Promise<boolean>;
  /** Removes confirmations that expired before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/** In-memory adapter for tests and the single-process embedded default. */
export function createInMemoryConfirmationStore(): ConfirmationStore {
  const records = new Map<string, ConfirmationRecord>();
  const copy = (r: ConfirmationRecord): ConfirmationRecord => structuredClone(r);
  return {
    async insert(record) {
      records.set(record.id, copy(record));
    },
    async findById(id) {
      const r = records.get(id);
      return r ? copy(r) : undefined;
    },
    async findPendingByQuery(userId, query, now) {
      let best: ConfirmationRecord | undefined;
      for (const r of records.values()) {
        if (r.userId !== userId || r.query !== query || r.status !== 'pending' || r.expiresAt <= now)
          continue;
        if (!best || r.createdAt > best.createdAt) best = r;
      }
      return best ? copy(best) : undefined;
    },
    async complete(id, status, now) {
      const r = records.get(id);
      if (!r || r.status !== 'pending' || r.expiresAt <= now) return false;
      r.status = status;
      r.resolvedAt = now;
      return true;
    },
    async deleteExpired(now) {
      let removed = 0;
      for (const [id, r] of records) {
        if (r.expiresAt <= now) {
          records.delete(id);
          removed++;
        }
      }
      return removed;
    },
  };
}
