/**
 * The assistant's public contract (`/api/plan`, `/api/ask`, `/api/confirm`): plans, answers and
 * confirmations, and the types derived from them.
 */
import { Type, type Static } from 'typebox';

export const QueryBody = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: 4000,
      description: 'Plain language ("list ec2 instance ids") or AWS CLI syntax ("aws s3api list-buckets").',
    }),
  },
  { additionalProperties: false },
);
export type QueryBody = Static<typeof QueryBody>;

export const PlanSchema = Type.Object(
  {
    service: Type.String(),
    operation: Type.String(),
    parameters: Type.Record(Type.String(), Type.Unknown()),
    region: Type.String(),
    query: Type.Optional(Type.String()),
    output: Type.Optional(Type.String()),
  },
  { description: 'A structured AWS operation with the AWS CLI names.' },
);
export type PlanSchema = Static<typeof PlanSchema>;

const PlannerName = Type.Union([
  Type.Literal('literal'),
  Type.Literal('built-in'),
  Type.Literal('models'),
  Type.Literal('bedrock'),
  Type.Literal('openai'),
]);

export const Risk = Type.Union([Type.Literal('read'), Type.Literal('secret'), Type.Literal('change')], {
  description:
    'read: runs at once; secret: reads credentials or secrets (confirmed, never stored); change: confirmed.',
});

export type Risk = Static<typeof Risk>;

export const PlanChoice = Type.Object({
  plan: PlanSchema,
  command: Type.String(),
  read_only: Type.Boolean(),
  risk: Risk,
  description: Type.Optional(Type.String()),
});
export type PlanChoice = Static<typeof PlanChoice>;

const PlanFields = {
  plan: PlanSchema,
  command: Type.String({ description: 'The equivalent aws command line, for display only.' }),
  read_only: Type.Boolean(),
  planner: Type.Union([PlannerName, Type.Literal('compound')], {
    description: "'compound': plan is the read step; the changes are resolved when asked.",
  }),
  risk: Risk,
  risk_reason: Type.String(),
  choices: Type.Optional(
    Type.Array(PlanChoice, {
      description: 'Several operations fit equally: nothing runs; ask again with the command you mean.',
    }),
  ),
};

export const PlanReply = Type.Object(PlanFields);
export type PlanReply = Static<typeof PlanReply>;

const TableSchema = Type.Object({
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Record(Type.String(), Type.String())),
  truncated: Type.Boolean(),
});

export const RunResult = Type.Object({
  json: Type.Unknown({ description: 'The CLI JSON output (after --query).' }),
  text: Type.String({ description: 'A text form, like --output text.' }),
  table: Type.Optional(TableSchema),
});
export type RunResult = Static<typeof RunResult>;

export const DryRunSchema = Type.Object({
  ok: Type.Boolean(),
  would_succeed: Type.Boolean(),
  code: Type.String({ description: 'AWS answer code: DryRunOperation, UnauthorizedOperation, …' }),
  message: Type.String(),
  verdict: Type.String(),
});
export type DryRunSchema = Static<typeof DryRunSchema>;

const CompoundTarget = Type.Object({
  id: Type.String({ description: 'The resource the change names (instance id, log group name).' }),
  label: Type.String({ description: 'What a person recognises it by.' }),
});

export const CompoundSchema = Type.Object(
  {
    pattern: Type.Union([Type.Literal('ec2-instances-by-tag'), Type.Literal('empty-log-groups-by-prefix')]),
    description: Type.String(),
    action: Type.String({ description: 'The change each target gets, e.g. ec2:StopInstances.' }),
    read: Type.Object({ plan: PlanSchema, command: Type.String(), result: RunResult }),
    targets: Type.Array(
      Type.Object({
        id: Type.String(),
        label: Type.String(),
        plan: PlanSchema,
        command: Type.String({ description: 'The exact change for this target, for display.' }),
      }),
    ),
    digest: Type.String({
      description: 'SHA-256 over the exact per-target operations the confirmation binds.',
    }),
    outcomes: Type.Optional(
      Type.Array(
        Type.Object({
          id: Type.String(),
          label: Type.String(),
          command: Type.String(),
          status: Type.Union([Type.Literal('done'), Type.Literal('failed'), Type.Literal('skipped')]),
          result: Type.Optional(RunResult),
          error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
        }),
      ),
    ),
    appeared: Type.Optional(
      Type.Array(CompoundTarget, { description: 'Matching now, not confirmed: left alone.' }),
    ),
  },
  { description: 'A compound request: a read whose result selects the targets of one kind of change.' },
);
export type CompoundSchema = Static<typeof CompoundSchema>;

export const AskReply = Type.Object({
  confirmation_needed: Type.Boolean(),
  query: Type.String(),
  output: Type.String(),
  ...PlanFields,
  not_run_reason: Type.Optional(
    Type.String({
      description: 'Why the plan was not run (no AWS CLI on this server); planning still works.',
    }),
  ),
  reference_url: Type.String({ description: 'The AWS console page for the service, resource and region.' }),
  compound: Type.Optional(CompoundSchema),
  result: Type.Optional(RunResult),
  confirmation_id: Type.Optional(Type.String()),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  dry_run: Type.Optional(DryRunSchema),
});
export type AskReply = Static<typeof AskReply>;

export const ConfirmBody = Type.Object(
  {
    confirmation_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    query: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4000,
        description: "The original API: resolves the caller's pending confirmation for exactly this query.",
      }),
    ),
    decision: Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Boolean()], {
      description: 'accept | decline (yes/no and similar are understood, any case).',
    }),
    plan: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Optional: the plan the client was shown; it must be exactly the confirmed one.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ConfirmBody = Static<typeof ConfirmBody>;

export const ConfirmReply = Type.Object({
  confirmation_needed: Type.Boolean(),
  confirmation_id: Type.String(),
  decision: Type.Union([Type.Literal('accept'), Type.Literal('decline')]),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('declined')]),
  message: Type.String(),
  query: Type.String(),
  output: Type.String(),
  plan: PlanSchema,
  command: Type.String(),
  read_only: Type.Boolean(),
  reference_url: Type.String(),
  result: Type.Optional(RunResult),
  compound: Type.Optional(CompoundSchema),
});
export type ConfirmReply = Static<typeof ConfirmReply>;
