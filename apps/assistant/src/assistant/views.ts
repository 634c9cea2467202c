import type { Identity, RequestMeta } from '@ashapp/platform';
import type { AwsCredentials } from '../aws-credentials.ts';
import type { CompoundView } from '../compound/compound-view.ts';
import type { Plan, PlannerName } from '../plan/plan.ts';
import type { OperationRisk } from '../safety/read-only.ts';
import type { DryRunView, RunView } from './run-view.ts';

// What the assistant's use cases take and answer: the shapes the routes serialise and compound requests share.

/** The caller of one request: who (from the gateway's assertion) and their AWS session (sealed hand-off). */
export interface Caller {
  identity: Identity;
  credentials: AwsCredentials;
  meta: RequestMeta;
  /** Filled in with the AWS CLI children's own run time (the `Server-Timing` header, the benchmark). */
  timing?: { cliMs: number };
}

/** Another operation that fits the request as well; the user picks by asking for its command. */
export interface PlanChoiceView {
  plan: Plan;
  command: string;
  read_only: boolean;
  risk: OperationRisk;
  /** One sentence from the model's documentation of the operation. */
  description?: string;
}

export interface PlanView {
  plan: Plan;
  command: string;
  read_only: boolean;
  planner: PlannerName;
  /** `read` runs at once, `secret` (reads credentials or secrets) and `change` need a confirmation. */
  risk: OperationRisk;
  /** Why, in words ("… reads a secret: it returns a secret value"). */
  risk_reason: string;
  /** Present when several operations fit equally: nothing runs until the user picks one. */
  choices?: PlanChoiceView[];
}

/** What /api/plan answers: a planner's plan, or a compound request's read step. */
export interface PlanReplyView extends Omit<PlanView, 'planner'> {
  planner: AskSource;
}

/** Who produced what an ask shows: a planner, or the compound patterns (read → select → change). */
export type AskSource = PlannerName | 'compound';

export interface AskView extends Omit<PlanView, 'planner'> {
  planner: AskSource;
  /** A compound request: the read, its result, and the exact change per target (see compound/). */
  compound?: CompoundView;
  confirmation_needed: boolean;
  /** Set when the plan was not run because this server cannot run AWS commands (no CLI). */
  not_run_reason?: string;
  query: string;
  output: string;
  reference_url: string;
  result?: RunView;
  confirmation_id?: string;
  expires_at?: string;
  dry_run?: DryRunView;
}

export interface ConfirmInput {
  confirmationId?: string;
  query?: string;
  decision: 'accept' | 'decline';
  /** If the client sends the plan it saw, it must be exactly the confirmed one. */
  plan?: Plan;
}

export interface ConfirmView {
  confirmation_needed: false;
  confirmation_id: string;
  decision: 'accept' | 'decline';
  status: 'accepted' | 'declined';
  message: string;
  query: string;
  output: string;
  plan: Plan;
  command: string;
  read_only: boolean;
  reference_url: string;
  result?: RunView;
  compound?: CompoundView;
}
