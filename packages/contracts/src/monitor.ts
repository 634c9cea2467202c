/**
 * The monitor's public contract (`/monitor/*`): audit event ingest (single and batch), query, live feed and
 * statistics schemas and the types derived from them.
 */
import { Type, type Static } from 'typebox';

// Column sizes: identifiers must stay indexable on MySQL (3,072-byte keys), free text is capped on ingest.
export const limits = {
  userId: 512,
  service: 64,
  actionType: 128,
  endpoint: 1024,
  ipAddress: 64,
  userAgent: 1024,
  requestId: 128,
  traceId: 32,
} as const;

const eventFields = {
  id: Type.Optional(
    Type.String({ format: 'uuid', description: 'Unique event id; an id seen before is stored once.' }),
  ),
  timestamp: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When it happened (ISO 8601); default now. More than 5 minutes ahead becomes now.',
    }),
  ),
  service: Type.String({ minLength: 1, maxLength: limits.service }),
  endpoint: Type.String({ minLength: 1, maxLength: limits.endpoint }),
  action_type: Type.String({ minLength: 1, maxLength: limits.actionType }),
  request_data: Type.Optional(Type.Unknown({ description: 'Any JSON value; secrets are masked.' })),
  response_summary: Type.Optional(Type.Unknown({ description: 'Any JSON value; secrets are masked.' })),
  ip_address: Type.Optional(Type.Union([Type.String({ maxLength: limits.ipAddress }), Type.Null()])),
  // User agents are free text from browsers: long ones are cut, not refused.
  user_agent: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  request_id: Type.Optional(Type.Union([Type.String({ maxLength: limits.requestId }), Type.Null()])),
  trace_id: Type.Optional(
    Type.Union([
      Type.String({ pattern: '^[0-9a-f]{32}$', description: 'W3C trace id of the action (tracing on).' }),
      Type.Null(),
    ]),
  ),
};

export const LogEventBody = Type.Object(
  {
    ...eventFields,
    user_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: limits.userId,
        description:
          'Whose action this was. Only services may name someone else; users always log as themselves.',
      }),
    ),
  },
  // Unknown fields are ignored rather than refused: an outbox would retry a refused batch forever.
);
export type LogEventBody = Static<typeof LogEventBody>;

export const BatchEvent = Type.Object({
  ...eventFields,
  user_id: Type.String({ minLength: 1, maxLength: limits.userId }),
});
export type BatchEvent = Static<typeof BatchEvent>;

export const maxBatchEvents = 1000;

export const BatchBody = Type.Object(
  { events: Type.Array(BatchEvent, { minItems: 1, maxItems: maxBatchEvents }) },
  { additionalProperties: false },
);
export type BatchBody = Static<typeof BatchBody>;

export const LogResult = Type.Object({
  id: Type.String(),
  stored: Type.Boolean({ description: 'false when an event with this id was stored before.' }),
});
export type LogResult = Static<typeof LogResult>;

export const BatchResult = Type.Object({
  stored: Type.Integer({ description: 'Events stored now.' }),
  duplicates: Type.Integer({ description: 'Events whose id was stored before (or repeated in the batch).' }),
});
export type BatchResult = Static<typeof BatchResult>;

export const EventView = Type.Object({
  id: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  user_id: Type.String(),
  service: Type.String(),
  endpoint: Type.String(),
  action_type: Type.String(),
  request_data: Type.Unknown(),
  response_summary: Type.Unknown(),
  ip_address: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  trace_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type EventView = Static<typeof EventView>;

const filterFields = {
  user_id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: limits.userId,
      description: 'Admins only; users always see their own.',
    }),
  ),
  service: Type.Optional(Type.String({ minLength: 1, maxLength: limits.service })),
  action_type: Type.Optional(Type.String({ minLength: 1, maxLength: limits.actionType })),
  endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: limits.endpoint })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive lower bound (ISO 8601).' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive upper bound (ISO 8601).' })),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Case-insensitive text in endpoint, action, request data or response summary.',
    }),
  ),
};

export const ListEventsQuery = Type.Object({
  ...filterFields,
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type ListEventsQuery = Static<typeof ListEventsQuery>;

export const EventPage = Type.Object({
  items: Type.Array(EventView),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
export type EventPage = Static<typeof EventPage>;

export const StreamQuery = Type.Object(filterFields);
export type StreamQuery = Static<typeof StreamQuery>;

export const StatsQuery = Type.Object({
  from: filterFields.from,
  to: filterFields.to,
  bucket: Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], {
    default: 'hour',
  }),
});
export type StatsQuery = Static<typeof StatsQuery>;

export const StatsView = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  bucket: Type.String(),
  by_service: Type.Array(Type.Object({ service: Type.String(), count: Type.Integer() })),
  by_action: Type.Array(Type.Object({ action_type: Type.String(), count: Type.Integer() })),
  by_time: Type.Array(
    Type.Object({ bucket_start: Type.String({ format: 'date-time' }), count: Type.Integer() }),
  ),
});
export type StatsView = Static<typeof StatsView>;
