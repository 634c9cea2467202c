import {
  createGroupCommit,
  createId,
  decodeCursor,
  encodeCursor,
  InputError,
  isAdmin,
  maskSecrets,
  maskSecretsInText,
  NotAllowedError,
  type Identity,
  type RequestMeta,
} from '@ashapp/platform';
import type { EventBus } from './event-bus.ts';
import type { EventFilter, EventsRepository, StoredEvent } from './events-repository.ts';
import {
  limits,
  type BatchEvent,
  type EventView,
  type ListEventsQuery,
  type LogEventBody,
  type StatsQuery,
  type StatsView,
  type StreamQuery,
} from '@ashapp/contracts/monitor';

export interface EventsService {
  /** One event (the original `/monitor/log`); users always log as themselves. */
  log(caller: Identity, body: LogEventBody, meta: RequestMeta): Promise<{ id: string; stored: boolean }>;
  /** A batch from a service's audit outbox; ids seen before are skipped. */
  ingestBatch(
    caller: Identity,
    events: readonly BatchEvent[],
  ): Promise<{ stored: number; duplicates: number }>;
  list(caller: Identity, query: ListEventsQuery): Promise<{ items: EventView[]; next_cursor: string | null }>;
  stats(caller: Identity, query: StatsQuery, now?: number): Promise<StatsView>;
  /** The filter a live feed applies for this caller (visibility rule included). */
  resolveStreamFilter(caller: Identity, query: StreamQuery): EventFilter;
}

const bucketSizes = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const maxBuckets = 10_000;
// Clocks drift a little; an event far in the future would sit on top of every listing until then.
const maxFutureSkewMs = 5 * 60_000;
const truncationMark = '…[truncated]';

function isService(caller: Identity): boolean {
  return caller.roles.includes('service');
}

/** The service name of every event a user logs; no platform service is called that. */
export const userEventService = 'user';
/** A user's action types are namespaced so they never read as a platform action (`login` → `user.login`). */
export function userActionType(given: string): string {
  const action = given.startsWith('user.') ? given : `user.${given}`;
  return action.slice(0, limits.actionType);
}

/**
 * A user's own event (`POST /monitor/log` from a signed-in user): who, from where, with which agent, when
 * and as which service are the platform's facts, not the caller's claims (issue 8: a user stored
 * `service: gateway, action_type: login, ip_address: 6.6.6.6` and admins saw it as real).
 */
function stampUser(
  caller: Identity,
  body: LogEventBody,
  meta: RequestMeta,
  receivedAt: number,
): Omit<BatchEvent, 'user_id'> & { user_id: string } {
  return {
    ...(body.id !== undefined ? { id: body.id } : {}),
    timestamp: new Date(receivedAt).toISOString(),
    user_id: caller.userId,
    service: userEventService,
    endpoint: body.endpoint,
    action_type: userActionType(body.action_type),
    ...(body.request_data !== undefined ? { request_data: body.request_data } : {}),
    ...(body.response_summary !== undefined ? { response_summary: body.response_summary } : {}),
    ip_address: meta.ip ?? null,
    user_agent: meta.userAgent ?? null,
    request_id: caller.requestId,
  };
}

function readTime(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new InputError(`${field} is not a valid time`, { field });
  return ms;
}

function cutText(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - truncationMark.length) + truncationMark;
}

/**
 * Masks secrets at any depth, then serializes. A value larger than `maxBytes` is kept as a marker with a
 * preview, so one oversized payload never fails the whole request.
 */
export function serializeField(value: unknown, maxBytes: number): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(maskSecrets(value));
  // A UTF-16 unit is at most 3 UTF-8 bytes: most values fit without counting.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  // Quotes and backslashes of the preview double when escaped again: half the budget always fits.
  const budget = Math.max(0, Math.floor((maxBytes - 256) / 2));
  const preview = Buffer.from(text, 'utf8').subarray(0, budget).toString('utf8');
  return JSON.stringify({ truncated: true, original_bytes: bytes, preview: maskSecretsInText(preview) });
}

function parseField(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function toEventView(e: StoredEvent): EventView {
  return {
    id: e.id,
    timestamp: new Date(e.at).toISOString(),
    user_id: e.userId,
    service: e.service,
    endpoint: e.endpoint,
    action_type: e.actionType,
    request_data: parseField(e.requestData),
    response_summary: parseField(e.responseSummary),
    ip_address: e.ipAddress,
    user_agent: e.userAgent,
    request_id: e.requestId,
    trace_id: e.traceId ?? null,
  };
}

/** Whether a live event passes a feed's filter (the same rules the listing applies in SQL). */
export function matchesFilter(event: EventView, filter: EventFilter): boolean {
  if (filter.userId !== undefined && event.user_id !== filter.userId) return false;
  if (filter.service !== undefined && event.service !== filter.service) return false;
  if (filter.actionType !== undefined && event.action_type !== filter.actionType) return false;
  if (filter.endpoint !== undefined && event.endpoint !== filter.endpoint) return false;
  if (filter.from !== undefined || filter.to !== undefined) {
    const at = Date.parse(event.timestamp);
    if (filter.from !== undefined && at < filter.from) return false;
    if (filter.to !== undefined && at >= filter.to) return false;
  }
  if (filter.text !== undefined) {
    const needle = filter.text.toLowerCase();
    const haystacks = [
      event.endpoint,
      event.action_type,
      event.request_data === null ? '' : JSON.stringify(event.request_data),
      event.response_summary === null ? '' : JSON.stringify(event.response_summary),
    ];
    if (!haystacks.some((h) => h.toLowerCase().includes(needle))) return false;
  }
  return true;
}

export function createEventsService(deps: {
  events: EventsRepository;
  bus: EventBus;
  maxFieldBytes: number;
  now?: () => number;
  /** Group-commit batches of single events written at once (see `groupCommitConcurrency`). Default 1. */
  writeConcurrency?: number;
}): EventsService {
  const { events, bus, maxFieldBytes } = deps;
  const now = deps.now ?? Date.now;

  function normalize(
    input: Omit<BatchEvent, 'user_id'> & { user_id: string },
    receivedAt: number,
  ): StoredEvent {
    const given = input.timestamp === undefined ? receivedAt : Date.parse(input.timestamp);
    // Replaced rather than refused (an outbox would retry a refused batch forever): before 1970 or far
    // ahead of our clock, the receive time is the better guess.
    const at =
      Number.isSafeInteger(given) && given >= 0 && given <= receivedAt + maxFutureSkewMs ? given : receivedAt;
    return {
      // Lower case: the same UUID in another case must still count as the same event.
      id: input.id?.toLowerCase() ?? createId(at),
      at,
      userId: input.user_id,
      service: input.service,
      endpoint: cutText(maskSecretsInText(input.endpoint), limits.endpoint),
      actionType: input.action_type,
      requestData: serializeField(input.request_data, maxFieldBytes),
      responseSummary: serializeField(input.response_summary, maxFieldBytes),
      ipAddress: input.ip_address ?? null,
      userAgent: input.user_agent ? cutText(maskSecretsInText(input.user_agent), limits.userAgent) : null,
      requestId: input.request_id ?? null,
      traceId: input.trace_id ?? null,
    };
  }

  async function store(batch: readonly StoredEvent[]): Promise<Set<string>> {
    const stored = await events.insertMany(batch);
    // Views (two JSON parses an event) only for live feeds that are open: batch ingest with no feed spent
    // 3 % of its time building views nobody read.
    if (stored.size > 0 && bus.listenerCount() > 0) {
      bus.publish(batch.filter((e) => stored.has(e.id)).map(toEventView));
    }
    return stored;
  }

  // Concurrent single events share one transaction and one commit (ADR 0019); each caller is answered
  // after it. The result is the batch's set of new ids: each caller takes its own id out of it, so of two
  // callers sending the same id in one batch only one hears "stored", as when they run one after another.
  const singles = createGroupCommit<StoredEvent, Set<string>>({
    run: store,
    concurrency: deps.writeConcurrency ?? 1,
  });

  function resolveUser(caller: Identity, requested: string | undefined): string | undefined {
    // Users see their own events whatever they ask for; admins see everyone's, or whom they name.
    return isAdmin(caller) ? requested : caller.userId;
  }

  function readFilter(caller: Identity, query: StreamQuery): EventFilter {
    const userId = resolveUser(caller, query.user_id);
    const from = readTime(query.from, 'from');
    const to = readTime(query.to, 'to');
    return {
      ...(userId !== undefined ? { userId } : {}),
      ...(query.service !== undefined ? { service: query.service } : {}),
      ...(query.action_type !== undefined ? { actionType: query.action_type } : {}),
      ...(query.endpoint !== undefined ? { endpoint: query.endpoint } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(query.q !== undefined ? { text: query.q } : {}),
    };
  }

  return {
    async log(caller, body, meta) {
      const receivedAt = now();
      const input = isService(caller)
        ? { ...body, user_id: body.user_id ?? caller.userId }
        : stampUser(caller, body, meta, receivedAt);
      const event = normalize(input, receivedAt);
      const stored = await singles.submit(event);
      return { id: event.id, stored: stored.delete(event.id) };
    },

    async ingestBatch(caller, batch) {
      // Service events come from service identities only. Which service is not pinned to the identity: with
      // one DATABASE_URL the services share one outbox table, so a replica may deliver a sibling's events
      // (and every service holds the same assertion key anyway).
      if (!isService(caller)) throw new NotAllowedError('only services deliver event batches');
      const receivedAt = now();
      const unique = new Map<string, StoredEvent>();
      for (const input of batch) {
        const event = normalize(input, receivedAt);
        if (!unique.has(event.id)) unique.set(event.id, event);
      }
      const stored = await store([...unique.values()]);
      return { stored: stored.size, duplicates: batch.length - stored.size };
    },

    async list(caller, query) {
      const filter = readFilter(caller, query);
      const rows = await events.list({
        ...filter,
        limit: query.limit + 1,
        ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toEventView),
        next_cursor: rows.length > query.limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
      };
    },

    async stats(caller, query, at = now()) {
      const bucketMs = bucketSizes[query.bucket];
      const to = readTime(query.to, 'to') ?? at;
      const from = readTime(query.from, 'from') ?? to - 24 * 3_600_000;
      if (from >= to) throw new InputError('from must be before to', { field: 'from' });
      const first = from - (from % bucketMs);
      if ((to - first) / bucketMs > maxBuckets) {
        throw new InputError(
          `the range holds more than ${maxBuckets} ${query.bucket} buckets; use a larger bucket`,
          {
            field: 'bucket',
          },
        );
      }
      const userId = resolveUser(caller, undefined);
      const found = await events.stats({ from, to, bucketMs, ...(userId !== undefined ? { userId } : {}) });
      const counts = new Map(found.byTime.map((b) => [b.start, b.count]));
      const byTime: StatsView['by_time'] = [];
      // Empty buckets are listed too, so a chart needs no gap filling of its own.
      for (let start = first; start < to; start += bucketMs) {
        byTime.push({ bucket_start: new Date(start).toISOString(), count: counts.get(start) ?? 0 });
      }
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        bucket: query.bucket,
        by_service: found.byService,
        by_action: found.byAction.map((a) => ({ action_type: a.actionType, count: a.count })),
        by_time: byTime,
      };
    },

    resolveStreamFilter: readFilter,
  };
}
