import type { AssistantServiceDeps } from './context.ts';
import { createAssistantContext } from './context.ts';
import { answerAsk } from './ask.ts';
import { answerConfirm } from './confirm.ts';
import { answerPlan } from './plan-query.ts';
import type { AskView, Caller, ConfirmInput, ConfirmView, PlanReplyView } from './views.ts';

export type { AssistantServiceDeps } from './context.ts';
export type { DryRunView, RunView } from './run-view.ts';
export type {
  AskSource,
  AskView,
  Caller,
  ConfirmInput,
  ConfirmView,
  PlanChoiceView,
  PlanReplyView,
  PlanView,
} from './views.ts';

export interface AssistantService {
  plan(caller: Caller, query: string): Promise<PlanReplyView>;
  ask(caller: Caller, query: string): Promise<AskView>;
  confirm(caller: Caller, input: ConfirmInput): Promise<ConfirmView>;
}

/**
 * The assistant's use cases: plan a request, ask (run a read at once, or hold a change for confirmation),
 * confirm (run exactly the held plan, or nothing). Every step is an audit event; every request and what
 * came of it is saved to the user's history. Each use case is a function over one context (./ask.ts,
 * ./confirm.ts, ./plan-query.ts).
 */
export function createAssistantService(deps: AssistantServiceDeps): AssistantService {
  const ctx = createAssistantContext(deps);
  return {
    plan: (caller, query) => answerPlan(ctx, caller, query),
    ask: (caller, query) => answerAsk(ctx, caller, query),
    confirm: (caller, input) => answerConfirm(ctx, caller, input),
  };
}
