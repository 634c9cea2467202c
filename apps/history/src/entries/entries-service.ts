import {
  createGroupCommit,
  currentTraceId,
  withSpan,
  createId,
  decodeCursor,
  encodeCursor,
  isAdmin,
  isUuid,
  maskSecretsInText,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  type AuditEventInput,
  type AuditOutbox,
  type Identity,
  type RequestMeta,
} from '@ashapp/platform';
import type { Kysely } from 'kysely';
import type { EntriesRepository, HistoryEntry, HistoryTables } from './entries-repository.ts';
import type { EntryView, ListEntriesQuery, SaveEntryBody } from '@ashapp/contracts/history';

export interface HistoryService {
  save(
    caller: Identity,
    input: SaveEntryBody,
    meta: RequestMeta,
  ): Promise<{ id: string; created_at: string }>;
  list(
    caller: Identity,
    query: ListEntriesQuery,
  ): Promise<{ items: EntryView[]; nextCursor: string | undefined }>;
  remove(caller: Identity, id: string, meta: RequestMeta): Promise<void>;
}

/** Whose rows a caller may touch: their own; admins and services may name someone else. */
function resolveOwner(caller: Identity, requested: string | undefined): string {
  if (!requested || requested === caller.userId) return caller.userId;
  if (isAdmin(caller) || caller.roles.includes('service')) return requested;
  throw new NotAllowedError("only admins may read another user's history");
}

export function createHistoryService(deps: {
  entries: EntriesRepository;
  audit: AuditOutbox;
  maxOutputBytes: number;
  /** Runs the work and its audit event in one transaction: both are stored, or neither. */
  inTransaction: <T>(work: (trx: Kysely<HistoryTables>) => Promise<T>) => Promise<T>;
  /** Group-commit batches of saves written at once (see `groupCommitConcurrency`). Default 1. */
  writeConcurrency?: number;
}): HistoryService {
  const { entries, audit } = deps;
  // Pages sort by (time, id): ids of saves in the same millisecond must rise in the order the saves came,
  // or a user's two quick saves could list in either order. Same ms: the last id's final group plus one.
  let last = { at: 0, id: '' };
  function nextId(now: number): string {
    let id = createId(now);
    if (now === last.at && id <= last.id) {
      const tail = (BigInt(`0x${last.id.slice(-12)}`) + 1n) & 0xffffffffffffn;
      id = `${last.id.slice(0, -12)}${tail.toString(16).padStart(12, '0')}`;
    }
    last = { at: now, id };
    return id;
  }
  type PendingSave = { entry: HistoryEntry & { output: string }; event: AuditEventInput | undefined };
  // Concurrent saves share one transaction and one commit (ADR 0019); each entry's audit event is in it.
  const saves = createGroupCommit<PendingSave, void>({
    concurrency: deps.writeConcurrency ?? 1,
    run: (batch) =>
      withSpan(
        'db.transaction history_entries.insert',
        { 'db.collection.name': 'history_entries', 'db.operation.batch.size': batch.length },
        () =>
          deps.inTransaction(async (trx) => {
            await entries.insertMany(
              batch.map((s) => s.entry),
              trx,
            );
            const events = batch.flatMap((s) => (s.event ? [s.event] : []));
            if (events.length > 0) await audit.recordMany(events, trx);
          }),
      ),
  });
  return {
    async save(caller, input, meta) {
      if (input.user_id && input.user_id !== caller.userId && !caller.roles.includes('service')) {
        throw new NotAllowedError('only services may save history for another user');
      }
      const bytes = Buffer.byteLength(input.output, 'utf8');
      if (bytes > deps.maxOutputBytes) {
        throw new PayloadTooLargeError(`output is ${bytes} bytes; at most ${deps.maxOutputBytes} are kept`);
      }
      const now = Date.now();
      // Secrets never reach the store: an ask may hold `Values=<secret>`, an output a credential.
      const entry = {
        id: nextId(now),
        userId: input.user_id ?? caller.userId,
        createdAt: now,
        query: maskSecretsInText(input.query),
        output: maskSecretsInText(input.output),
      };
      // Services record their own actions; a user saving directly is an action of its own.
      const audited = !caller.roles.includes('service');
      // Taken here: the batch runs in the context of whichever save opened it.
      const traceId = currentTraceId();
      await saves.submit({
        entry,
        event: audited
          ? {
              user_id: caller.userId,
              endpoint: meta.endpoint,
              action_type: 'history.save',
              request_data: { query: entry.query, output_bytes: bytes },
              response_summary: { id: entry.id },
              ip_address: meta.ip,
              ...(meta.userAgent ? { user_agent: meta.userAgent } : {}),
              request_id: caller.requestId,
              ...(traceId ? { trace_id: traceId } : {}),
            }
          : undefined,
      });
      return { id: entry.id, created_at: new Date(now).toISOString() };
    },

    async list(caller, query) {
      const owner = resolveOwner(caller, query.user_id);
      const rows = await entries.list({
        userId: owner,
        limit: query.limit + 1,
        ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
        ...(query.q ? { text: query.q } : {}),
        includeOutput: query.include_output,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => ({
          id: r.id,
          query: r.query,
          ...(r.output !== null ? { output: r.output } : {}),
          created_at: new Date(r.createdAt).toISOString(),
          user_id: r.userId,
        })),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : undefined,
      };
    },

    async remove(caller, id, meta) {
      if (!isUuid(id)) throw new NotFoundError('history entry not found');
      await deps.inTransaction(async (trx) => {
        if (!(await entries.deleteOwn(id, caller.userId, trx)))
          throw new NotFoundError('history entry not found');
        await audit.record(
          {
            user_id: caller.userId,
            endpoint: meta.endpoint,
            action_type: 'history.delete',
            request_data: { id },
            response_summary: { deleted: true },
            ip_address: meta.ip,
            ...(meta.userAgent ? { user_agent: meta.userAgent } : {}),
            request_id: caller.requestId,
          },
          trx,
        );
      });
    },
  };
}
