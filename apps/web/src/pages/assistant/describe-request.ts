import type { DryRunVerdict, Risk } from '../../api/assistant.ts';

/** The dry run's verdict as a sentence, and whether it says the request would work (undefined: unknown). */
export function describeDryRun(dryRun: DryRunVerdict | string): { text: string; ok: boolean | undefined } {
  if (typeof dryRun === 'string') return { text: dryRun, ok: undefined };
  const ok = dryRun.ok;
  // The assistant always sends every field (the contract says so); an empty text falls back to the verdict.
  const text =
    dryRun.message ||
    dryRun.verdict ||
    dryRun.code ||
    (ok ? 'The request would succeed.' : 'The request would fail.');
  return { text, ok };
}

export interface RiskView {
  badge: string;
  tone: 'ok' | 'warn';
  /** What the confirmation asks; empty for a read, which is not asked. */
  question: string;
}

/** The badge and the question for what a plan does; `risk` when the assistant says it, else read-only or not. */
export function describeRisk(risk: Risk | undefined, readOnly: boolean | undefined): RiskView | undefined {
  const kind: Risk | undefined = risk ?? (readOnly === undefined ? undefined : readOnly ? 'read' : 'change');
  switch (kind) {
    case 'read':
      return { badge: 'read-only', tone: 'ok', question: '' };
    case 'secret':
      return { badge: 'reads a secret', tone: 'warn', question: 'This request reads a secret. Show it?' };
    case 'change':
      return {
        badge: 'changes resources',
        tone: 'warn',
        question: 'This request changes resources. Run it?',
      };
    default:
      return undefined;
  }
}

/** `m:ss` left, never negative. */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
