import type { RunView } from '../assistant/run-view.ts';
import type { Plan } from '../plan/plan.ts';
import type { CompoundMatch, CompoundTarget } from './compound-patterns.ts';

// What a compound request answers (inside the ask and confirm answers): the read, the bound targets, outcomes.

export interface CompoundTargetView extends CompoundTarget {
  plan: Plan;
  command: string;
}

export interface CompoundOutcomeView {
  id: string;
  label: string;
  command: string;
  /** done: ran; failed: AWS refused it (others still ran); skipped: no longer matched at Accept, not run. */
  status: 'done' | 'failed' | 'skipped';
  result?: RunView;
  error?: { code: string; message: string };
}

export interface CompoundView {
  pattern: CompoundMatch['pattern'];
  description: string;
  /** The change each target gets, e.g. `ec2:StopInstances`. */
  action: string;
  read: { plan: Plan; command: string; result: RunView };
  targets: CompoundTargetView[];
  /** SHA-256 over the exact per-target operations; the confirmation is bound to them. */
  digest: string;
  /** After Accept: what happened to each confirmed target. */
  outcomes?: CompoundOutcomeView[];
  /** After Accept: resources that match now but were not confirmed; left alone. */
  appeared?: CompoundTarget[];
}
