/**
 * The history service's public contract (`/history/*`): its route schemas, the types derived from them and
 * a typed client for the services that save on a user's behalf.
 */
import type { Identity, ServiceClient } from '@ashapp/platform';
import { Type, type Static } from 'typebox';
import { expectStatus } from './service-call.ts';

export const SaveEntryBody = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 10_000, description: 'What the user asked.' }),
    output: Type.String({ description: 'What they got back, stored whole (up to the configured size).' }),
    user_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'Only services may save for another user.' }),
    ),
  },
  { additionalProperties: false },
);
export type SaveEntryBody = Static<typeof SaveEntryBody>;

export const SavedEntry = Type.Object({
  id: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});
export type SavedEntry = Static<typeof SavedEntry>;

export const ListEntriesQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  q: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Search in queries and outputs.' }),
  ),
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Admins only.' })),
  include_output: Type.Boolean({ default: true, description: 'false lists queries only (sidebars).' }),
});
export type ListEntriesQuery = Static<typeof ListEntriesQuery>;

export const EntryView = Type.Object({
  id: Type.String(),
  query: Type.String(),
  output: Type.Optional(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  user_id: Type.String(),
});
export type EntryView = Static<typeof EntryView>;

export const EntryParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export type EntryParams = Static<typeof EntryParams>;

/** The history service as another service calls it. */
export interface HistoryClient {
  /**
   * `POST /history/save`. A service saves on a user's behalf with its own identity and the user named in
   * `user_id`. Throws `UnavailableError` when history does not answer, `UpstreamError` when it refuses.
   */
  save(input: { identity: Identity; body: SaveEntryBody; timeoutMs?: number }): Promise<SavedEntry>;
}

/**
 * @example
 * const history = createHistoryClient({ http: createPlatformClient(config, 'history', log) });
 * await history.save({ identity: serviceIdentity('deployer', requestId), body: { query, output, user_id } });
 */
export function createHistoryClient(deps: { http: ServiceClient }): HistoryClient {
  return {
    async save({ identity, body, timeoutMs }) {
      const res = await deps.http.request<SavedEntry>({
        method: 'POST',
        path: '/history/save',
        identity,
        body,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      return expectStatus(deps.http.name, res, 201);
    },
  };
}
