import { useState } from 'react';
import { useApi, useSession } from '../../api-context.tsx';
import type { AskResult, Decision, PlanResult } from '../../api/assistant.ts';
import { ApiError } from '../../api/http.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { toSafeHttpUrl } from '../../components/safe-url.ts';
import { AnswerView, type DecisionOutcome } from './answer-view.tsx';
import { AskForm } from './ask-form.tsx';
import { CodeBuildPanel } from './codebuild-panel.tsx';
import { ConfirmBox, useRemainingMs } from './confirm-box.tsx';
import { describeRisk } from './describe-request.ts';
import { PlanChoices } from './plan-choices.tsx';

type Phase = 'idle' | 'planning' | 'asking' | 'confirming';

function describePhase(phase: Phase, readOnly: boolean | undefined): string {
  switch (phase) {
    case 'planning':
      return 'Planning…';
    case 'asking':
      return readOnly === false ? 'Checking…' : 'Running…';
    case 'confirming':
      return 'Sending your decision…';
    case 'idle':
      return '';
  }
}

export function AssistantPage() {
  const api = useApi();
  const { notifyHistoryChanged } = useSession();
  const [query, setQuery] = useState('');
  const [phase, setPhase] = useState<Phase>('idle');
  const [planned, setPlanned] = useState<PlanResult | undefined>(undefined);
  const [answer, setAnswer] = useState<AskResult | undefined>(undefined);
  const [decision, setDecision] = useState<DecisionOutcome | undefined>(undefined);
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
  const awaitingDecision = Boolean(answer?.confirmation_needed && !decision);
  const remainingMs = useRemainingMs(awaitingDecision ? answer?.expires_at : undefined);
  const reference = toSafeHttpUrl(decision?.result.reference_url ?? answer?.reference_url);

  return (
    <div className="page assistant-page">
      <h1 className="visually-hidden">Assistant</h1>
      <AskForm query={query} onQuery={setQuery} busy={busy} onSubmit={() => void run()} />

      <section className="card output-card" aria-label="Result" data-testid="ask-result">
        <p className="status-line" role="status" aria-live="polite">
          {describePhase(phase, readOnly)}
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
          <PlanChoices
            choices={choices}
            busy={busy}
            onPick={(picked) => {
              setQuery(picked);
              void run(picked);
            }}
          />
        ) : null}
        {answer?.not_run_reason ? (
          <p className="notice notice-error" data-testid="ask-not-run">
            Planned but not run: {answer.not_run_reason}.
          </p>
        ) : null}

        {awaitingDecision && answer ? (
          <ConfirmBox
            answer={answer}
            question={risk?.question || 'This request changes resources. Run it?'}
            remainingMs={remainingMs}
            busy={busy}
            onDecide={(choice) => void decide(choice)}
          />
        ) : null}

        <AnswerView answer={answer} decision={decision} />

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
