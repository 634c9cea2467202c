import type { AskView, Caller, ConfirmView, PlanReplyView } from '../assistant/views.ts';
import type { Plan } from '../plan/plan.ts';
import type { ResolvedConfirmation } from '../safety/confirmation-service.ts';
import { askCompound, planCompound } from './compound-ask.ts';
import { completeCompound } from './compound-complete.ts';
import { COMPOUND_SERVICE, createCompoundContext, type CompoundServiceDeps } from './compound-context.ts';
import { matchCompoundRequest, type CompoundMatch } from './compound-patterns.ts';

export { COMPOUND_SERVICE, MAX_COMPOUND_TARGETS, type CompoundServiceDeps } from './compound-context.ts';
export type { CompoundOutcomeView, CompoundTargetView, CompoundView } from './compound-view.ts';

export interface CompoundService {
  match(query: string): CompoundMatch | undefined;
  /** Validates the read step and the kind of change; runs nothing. */
  plan(caller: Caller, query: string, match: CompoundMatch): Promise<PlanReplyView>;
  ask(caller: Caller, query: string, match: CompoundMatch): Promise<AskView>;
  isCompound(plan: Plan): boolean;
  /** Runs (accept) or drops (decline) a resolved compound confirmation. */
  complete(caller: Caller, resolved: ResolvedConfirmation): Promise<ConfirmView>;
}

/**
 * Compound requests: a read whose result selects the targets of a change ("stop all running instances
 * tagged env=dev"). The ask runs the read, shows it and the exact change per target, and holds one
 * confirmation bound (HMAC, see the confirmation service) to exactly those per-target operations. Accept
 * reads again and runs the bound operations on the targets that still match — never any other target,
 * never any other operation (docs/adr/0017-compound-requests.md).
 */
export function createCompoundService(deps: CompoundServiceDeps): CompoundService {
  const ctx = createCompoundContext(deps);
  return {
    match: matchCompoundRequest,
    plan: (caller, query, match) => planCompound(ctx, caller, query, match),
    ask: (caller, query, match) => askCompound(ctx, caller, query, match),
    isCompound: (plan) => plan.service === COMPOUND_SERVICE,
    complete: (caller, resolved) => completeCompound(ctx, caller, resolved),
  };
}
