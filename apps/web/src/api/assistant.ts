import type {
  AskReply,
  CompoundSchema,
  ConfirmReply,
  DryRunSchema,
  PlanChoice,
  PlanReply,
  PlanSchema,
  Risk,
} from '@ashapp/contracts/assistant';
import type { HttpClient } from './http.ts';

// The shapes are the assistant's contract (apps/assistant, /api/plan, /api/ask, /api/confirm).
export type { PlanChoice, Risk };
export type Plan = PlanSchema;
export type PlanResult = PlanReply;
export type DryRunVerdict = DryRunSchema;
/** A compound request (read → selected targets → one change each); see apps/assistant/README.md. */
export type CompoundDetails = CompoundSchema;
export type CompoundTarget = CompoundDetails['targets'][number];
export type CompoundOutcome = NonNullable<CompoundDetails['outcomes']>[number];
export type AskResult = AskReply;

export type Decision = 'accept' | 'decline';

/** Confirm answers like ask (output/result of the run), with the decision's status. */
export type ConfirmResult = ConfirmReply;

export interface AssistantClient {
  plan(query: string): Promise<PlanResult>;
  ask(query: string): Promise<AskResult>;
  confirm(confirmationId: string, decision: Decision): Promise<ConfirmResult>;
}

export function createAssistantClient(http: HttpClient): AssistantClient {
  return {
    plan: (query) => http.json<PlanResult>('/api/plan', { method: 'POST', body: { query } }),
    ask: (query) => http.json<AskResult>('/api/ask', { method: 'POST', body: { query } }),
    confirm: (confirmationId, decision) =>
      http.json<ConfirmResult>('/api/confirm', {
        method: 'POST',
        body: { confirmation_id: confirmationId, decision },
      }),
  };
}
