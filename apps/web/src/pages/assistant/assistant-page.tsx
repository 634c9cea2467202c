import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import type { AskResult, ConfirmResult, Decision, DryRunVerdict, PlanResult } from '../../api/assistant.ts';
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

  const run = async () => {
    const text = query.trim();
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
            {readOnly !== undefined ? (
              <span className={readOnly ? 'badge ok' : 'badge warn'}>
                {readOnly ? 'read-only' : 'changes resources'}
              </span>
            ) : null}
          </p>
        ) : null}
        <ErrorNotice error={error} testId="ask-error" />

        {awaitingDecision && answer ? (
          <div className="confirm-box" role="group" aria-labelledby="confirm-title" data-testid="confirm-box">
            <h2 id="confirm-title">This request changes resources. Run it?</h2>
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
            <div className="button-row">
              <button
                type="button"
                className="button success"
                onClick={() => void decide('accept')}
                disabled={busy}
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
              {decision.decision === 'accept'
                ? 'Accepted: ran the command shown.'
                : 'Declined: nothing was run.'}
              {decision.result.message ? ` ${decision.result.message}` : ''}
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
