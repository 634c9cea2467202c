import type { SessionRecord, SessionStore } from './session-store.ts';

/**
 * How replicas tell each other that a session ended or lost its token: `publish` after the store has
 * changed, `subscribe` to drop what this replica cached. The Redis adapter is pub/sub on one channel; with
 * the database store (one replica) there is nobody to tell and the port is left out.
 */
export interface SessionInvalidations {
  publish(sessionId: string): Promise<void>;
  /** `onMessage` for one session id; `onReset` when messages may have been lost (a reconnect). */
  subscribe(handlers: { onMessage(sessionId: string): void; onReset(): void }): void;
}

interface Entry {
  record: SessionRecord;
  /** When the record was read from the store. */
  readAt: number;
}

/**
 * Sessions cached in this process with the store as the source of truth, so a request costs a map lookup
 * instead of a database or Redis round trip (issue 11).
 *
 * Bounds, stated: a cached record is used for at most `ttlMs` after it was read. Sign-out and token
 * revocation drop the session here at once and, through `invalidations`, on every other replica as soon as
 * the message arrives; a replica whose subscription dropped clears its whole cache when it reconnects, so
 * the TTL is only the bound for the moment a message is in flight or lost. A record that looks expired
 * (idle or absolute) is never judged from the cache: it is read again, since another replica may have
 * recorded activity meanwhile.
 */
export function createCachedSessionStore(options: {
  store: SessionStore;
  ttlMs: number;
  idleMs: number;
  maxEntries?: number;
  invalidations?: SessionInvalidations;
  now?: () => number;
}): SessionStore & { readonly size: number } {
  const { store, ttlMs, idleMs, invalidations } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // Keyed by `s:<cookie hash>` and `t:<token hash>`; `bySession` finds both keys of one session.
  const entries = new Map<string, Entry>();
  const bySession = new Map<string, Set<string>>();
  // Sessions invalidated lately: a read that started before the invalidation must not cache its answer.
  const ended = new Map<string, number>();

  function drop(sessionId: string): void {
    const keys = bySession.get(sessionId);
    if (keys) for (const key of keys) entries.delete(key);
    bySession.delete(sessionId);
    // Re-inserted so the map stays in time order for `forgetOldTombstones`.
    ended.delete(sessionId);
    ended.set(sessionId, now());
  }

  function forgetOldTombstones(t: number): void {
    for (const [id, at] of ended) {
      if (t - at <= ttlMs) break; // insertion order = time order
      ended.delete(id);
    }
  }

  function remember(key: string, record: SessionRecord, readAt: number): void {
    const endedAt = ended.get(record.id);
    if (endedAt !== undefined && endedAt >= readAt) return;
    if (entries.size >= maxEntries) {
      // Oldest first (Map keeps insertion order); a dropped entry is only a store read later.
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) {
        const id = entries.get(oldest)?.record.id;
        entries.delete(oldest);
        if (id) bySession.get(id)?.delete(oldest);
      }
    }
    entries.set(key, { record, readAt });
    let keys = bySession.get(record.id);
    if (!keys) bySession.set(record.id, (keys = new Set()));
    keys.add(key);
  }

  function isUsable(entry: Entry, t: number): boolean {
    return t - entry.readAt < ttlMs && t < entry.record.expiresAt && t - entry.record.lastSeenAt < idleMs;
  }

  async function find(
    key: string,
    read: () => Promise<SessionRecord | undefined>,
  ): Promise<SessionRecord | undefined> {
    const t = now();
    const hit = entries.get(key);
    if (hit && isUsable(hit, t)) return hit.record;
    if (hit) entries.delete(key);
    forgetOldTombstones(t);
    const record = await read();
    if (record) remember(key, record, t);
    return record;
  }

  async function invalidate(sessionId: string): Promise<void> {
    drop(sessionId);
    await invalidations?.publish(sessionId);
  }

  invalidations?.subscribe({
    onMessage: drop,
    onReset: () => {
      entries.clear();
      bySession.clear();
    },
  });

  return {
    kind: store.kind,
    get size() {
      return entries.size;
    },
    create: (record) => store.create(record),
    findBySessionHash: (hash) => find(`s:${hash}`, () => store.findBySessionHash(hash)),
    findByTokenHash: (hash) => find(`t:${hash}`, () => store.findByTokenHash(hash)),
    async touch(record, lastSeenAt) {
      await store.touch(record, lastSeenAt);
      // The cached copies now carry the activity just written, so the next request does not touch again.
      for (const key of bySession.get(record.id) ?? []) {
        const entry = entries.get(key);
        if (entry) entry.record = { ...entry.record, lastSeenAt };
      }
    },
    async revokeToken(record) {
      await store.revokeToken(record);
      await invalidate(record.id);
    },
    async destroy(record) {
      await store.destroy(record);
      await invalidate(record.id);
    },
    deleteExpired: (t) => store.deleteExpired(t),
    countLive: (t) => store.countLive(t),
    ping: () => store.ping(),
  };
}
