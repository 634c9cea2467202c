import { useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import type {
  AskResult,
  ConfirmResult,
  Decision,
  DryRunVerdict,
  PlanResult,
  Risk,
} from '../../api/assistant.ts';
import { ApiError } from '../../api/http.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { OutputView } from '../../components/output-view.tsx';
import { toSafeHttpUrl } from '../../components/safe-url.ts';
import { CodeBuildPanel } from './codebuild-panel.tsx';
import { CompoundPanel } from './compound-panel.tsx';

type Phase = 'idle' | 'planning' | 'asking' | 'confirming';

const EXAMPLES = ['list ec2 instance ids', 'list s3 buckets', 'who am i', 'list lambda functions'];

function describeDryRun(dryRun: DryRunVerdict | string): { text: string; ok: boolean | undefined } {
  if (typeof dryRun === 'string') return { text: dryRun, ok: undefined };
  const ok = dryRun.ok ?? dryRun.would_succeed;
  const text =
    dryRun.message ??
    dryRun.verdict ??
    dryRun.code ??
    (ok === undefined
      ? JSON.stringify(dryRun)
      : ok
        ? 'The request would succeed.'
        : 'The request would fail.');
  return { text, ok };
}

/** The badge and the question for what a plan does; `risk` when the assistant says it, else read-only or not. */
function describeRisk(risk: Risk | undefined, readOnly: boolean | undefined) {
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

function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Counts down to the confirmation's expiry; after it, Accept can no longer run anything. */
function useRemainingMs(expiresAt: string | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  const deadline = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  useEffect(() => {
    if (Number.isNaN(deadline)) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  return Number.isNaN(deadline) ? undefined : deadline - now;
}

function ResultOutput({ result, testId }: { result: Partial<AskResult>; testId: string }) {
  const text = result.result?.text ?? result.output ?? '';
  if (!text && result.result?.json === undefined) return null;
  return <OutputView json={result.result?.json} text={text} testId={testId} />;
}

export function AssistantPage() {
  const api = useApi();
  const { notifyHistoryChanged } = useSession();
  const [query, setQuery] = useState('');
  const [phase, setPhase] = useState<Phase>('idle');
  const [planned, setPlanned] = useState<PlanResult | undefined>(undefined);
  const [answer, setAnswer] = useState<AskResult | undefined>(undefined);
  const [decision, setDecision] = useState<{ decision: Decision; result: ConfirmResult } | undefined>(
    undefined,
  );
  const [error, setError] = useState<unknown>(undefined);

  const busy = phase !== 'idle';

  // Called as `void run()` from events, which cannot await: it catches every error and shows it.
  const run = async (asked?: string) => {
    const text = (asked ?? query).trim();
    if (!text || busy) return;
    setError(undefined);
    setPlanned(undefined);
    setAnswer(undefined);
    setDecision(undefined);
    setPhase('planning');
    try {
      try {
        setPlanned(await api.assistant.plan(text));
      } catch (cause) {
        // Without a plan endpoint (older assistant) asking still works; any other refusal is the answer.
        if (!(cause instanceof ApiError && (cause.status === 404 || cause.status === 405))) throw cause;
      }
      setPhase('asking');
      setAnswer(await api.assistant.ask(text));
    } catch (cause) {
      setError(cause);
    } finally {
      setPhase('idle');
      notifyHistoryChanged();
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void run();
    }
  };

  const decide = async (choice: Decision) => {
    if (!answer?.confirmation_id) return;
    setPhase('confirming');
    setError(undefined);
    try {
      const result = await api.assistant.confirm(answer.confirmation_id, choice);
      setDecision({ decision: choice, result });
    } catch (cause) {
      setError(cause);
    } finally {
      setPhase('idle');
      notifyHistoryChanged();
    }
  };

  const command = answer?.command ?? planned?.command;
  const readOnly = answer?.read_only ?? planned?.read_only;
  const risk = describeRisk(answer?.risk ?? planned?.risk, readOnly);
  const choices = answer?.choices ?? planned?.choices;
  const remainingMs = useRemainingMs(
    answer?.confirmation_needed && !decision ? answer.expires_at : undefined,
  );
  const expired = remainingMs !== undefined && remainingMs <= 0;
  const reference = toSafeHttpUrl(decision?.result.reference_url ?? answer?.reference_url);
  const awaitingDecision = Boolean(answer?.confirmation_needed && !decision);
  const dryRun = answer?.dry_run ? describeDryRun(answer.dry_run) : undefined;
  const status =
    phase === 'planning'
      ? 'Planning…'
      : phase === 'asking'
        ? readOnly === false
          ? 'Checking…'
          : 'Running…'
        : phase === 'confirming'
          ? 'Sending your decision…'
          : '';

  return (
    <div className="page assistant-page">
      <h1 className="visually-hidden">Assistant</h1>
      <form className="ask-form" onSubmit={submit} aria-label="Ask AWS">
        <label htmlFor="ask-query" className="visually-hidden">
          Your AWS request
        </label>
        <textarea
          id="ask-query"
          className="ask-input"
          placeholder="Type your AWS request here..."
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={onKeyDown}
          rows={5}
          aria-describedby="ask-hint"
          data-testid="ask-query"
        />
        <p id="ask-hint" className="muted small-text">
          Plain language or AWS CLI syntax. Ctrl+Enter submits. Try:{' '}
          {EXAMPLES.map((example) => (
            <button key={example} type="button" className="chip" onClick={() => setQuery(example)}>
              {example}
            </button>
          ))}
        </p>
        <button
          type="submit"
          className="button primary big"
          disabled={busy || !query.trim()}
          data-testid="ask-submit"
        >
          {busy ? 'Working…' : 'Submit'}
        </button>
      </form>

      <section className="card output-card" aria-label="Result" data-testid="ask-result">
        <p className="status-line" role="status" aria-live="polite">
          {status}
        </p>
        {command ? (
          <p className="command-line" data-testid="ask-command">
            <span className="command-label">Command:</span> <code>{command}</code>
            {risk ? (
              <span className={`badge ${risk.tone}`} data-testid="ask-risk">
                {risk.badge}
              </span>
            ) : null}
          </p>
        ) : null}
        <ErrorNotice error={error} testId="ask-error" />

        {choices && choices.length > 0 ? (
          <div className="notice notice-info" data-testid="ask-choices">
            <p>Several operations fit this request, so nothing ran. Pick the one you mean:</p>
            <ul className="choice-list">
              {choices.map((choice) => (
                <li key={choice.command}>
                  <button
                    type="button"
                    className="button small"
                    disabled={busy}
                    onClick={() => {
                      setQuery(choice.command);
                      void run(choice.command);
                    }}
                    data-testid="ask-choice"
                  >
                    <code>{choice.command}</code>
                  </button>
                  {choice.description ? (
                    <span className="muted small-text"> {choice.description}</span>
                  ) : null}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {answer?.not_run_reason ? (
          <p className="notice notice-error" data-testid="ask-not-run">
            Planned but not run: {answer.not_run_reason}.
          </p>
        ) : null}

        {awaitingDecision && answer ? (
          <div className="confirm-box" role="group" aria-labelledby="confirm-title" data-testid="confirm-box">
            <h2 id="confirm-title">{risk?.question || 'This request changes resources. Run it?'}</h2>
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
                onClick={() => void decide('accept')}
                disabled={busy || expired}
                data-testid="confirm-accept"
              >
                Accept
              </button>
              <button
                type="button"
                className="button danger"
                onClick={() => void decide('decline')}
                disabled={busy}
                data-testid="confirm-decline"
              >
                Decline
              </button>
            </div>
          </div>
        ) : null}

        {decision ? (
          <>
            <p className="notice notice-info" data-testid="confirm-outcome">
              {/* The service's own message repeats this sentence ("Nothing was run."), so it is not added. */}
              {decision.decision === 'accept'
                ? 'Accepted: ran the command shown.'
                : 'Declined: nothing was run.'}
            </p>
            {decision.result.compound ? (
              <CompoundPanel compound={decision.result.compound} />
            ) : (
              <ResultOutput result={decision.result} testId="output" />
            )}
          </>
        ) : answer && !answer.confirmation_needed ? (
          answer.compound ? (
            <CompoundPanel compound={answer.compound} />
          ) : (
            <ResultOutput result={answer} testId="output" />
          )
        ) : null}

        {!answer && !error && !busy && !command ? (
          <p className="muted placeholder-text">Results appear here.</p>
        ) : null}
      </section>

      {reference ? (
        <p className="center">
          <a
            className="button reference"
            href={reference}
            target="_blank"
            rel="noopener noreferrer"
            data-testid="reference-link"
          >
            Reference
          </a>
        </p>
      ) : null}

      <CodeBuildPanel />
    </div>
  );
}
