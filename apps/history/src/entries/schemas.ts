import { Type, type Static } from 'typebox';

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
