import type { Plan } from '../../plan/plan.ts';
import type { RequestFacts } from '../request-text.ts';

/** A plan before the region is filled in. */
export type Draft = Omit<Plan, 'region' | 'parameters'> & { parameters?: Record<string, unknown> };

export interface Rule {
  /** A request this rule understands; offered as a suggestion when nothing matches. */
  example: string;
  /** Every pattern must match the cleaned, lower-case request. */
  when: RegExp[];
  unless?: RegExp;
  /** The leading change verb this rule handles; read rules apply only when the request has none. */
  change?: string;
  build(facts: RequestFacts): Draft;
}
