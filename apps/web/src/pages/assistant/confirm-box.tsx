import { useEffect, useState } from 'react';
import type { AskResult, Decision } from '../../api/assistant.ts';
import { CompoundPanel } from './compound-panel.tsx';
import { describeDryRun, formatRemaining } from './describe-request.ts';

/** Counts down to the confirmation's expiry; after it, Accept can no longer run anything. */
export function useRemainingMs(expiresAt: string | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  const deadline = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  useEffect(() => {
    if (Number.isNaN(deadline)) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  return Number.isNaN(deadline) ? undefined : deadline - now;
}

export interface ConfirmBoxProps {
  answer: AskResult;
  question: string;
  /** Milliseconds until the confirmation expires, when the assistant said when. */
  remainingMs: number | undefined;
  busy: boolean;
  onDecide(decision: Decision): void;
}

/** A change or a secret read waits here for Accept or Decline, with its dry run and its time left. */
export function ConfirmBox({ answer, question, remainingMs, busy, onDecide }: ConfirmBoxProps) {
  const expired = remainingMs !== undefined && remainingMs <= 0;
  const dryRun = answer.dry_run ? describeDryRun(answer.dry_run) : undefined;
  return (
    <div className="confirm-box" role="group" aria-labelledby="confirm-title" data-testid="confirm-box">
      <h2 id="confirm-title">{question}</h2>
      <pre className="code-block">{answer.command ?? answer.query}</pre>
      {dryRun ? (
        <p
          className={dryRun.ok === false ? 'notice notice-error' : 'notice notice-info'}
          data-testid="dry-run"
        >
          <strong>Dry run:</strong> {dryRun.text}
        </p>
      ) : null}
      {answer.compound ? (
        <CompoundPanel compound={answer.compound} />
      ) : answer.output ? (
        <p className="muted">{answer.output}</p>
      ) : null}
      {remainingMs !== undefined ? (
        <p
          className={expired ? 'expiry expired' : 'expiry muted'}
          data-testid="confirm-expiry"
          aria-live="polite"
        >
          {expired
            ? 'This confirmation expired: nothing was run. Submit the request again to be asked anew.'
            : `Expires in ${formatRemaining(remainingMs)}. After that nothing runs and you must submit the request again.`}
        </p>
      ) : null}
      <div className="button-row">
        <button
          type="button"
          className="button success"
          onClick={() => onDecide('accept')}
          disabled={busy || expired}
          data-testid="confirm-accept"
        >
          Accept
        </button>
        <button
          type="button"
          className="button danger"
          onClick={() => onDecide('decline')}
          disabled={busy}
          data-testid="confirm-decline"
        >
          Decline
        </button>
      </div>
    </div>
  );
}
