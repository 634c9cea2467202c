import type { AskResult, ConfirmResult, Decision } from '../../api/assistant.ts';
import { OutputView } from '../../components/output-view.tsx';
import { CompoundPanel } from './compound-panel.tsx';

export interface DecisionOutcome {
  decision: Decision;
  result: ConfirmResult;
}

function ResultOutput({ result, testId }: { result: Partial<AskResult>; testId: string }) {
  const text = result.result?.text ?? result.output ?? '';
  if (!text && result.result?.json === undefined) return null;
  return <OutputView json={result.result?.json} text={text} testId={testId} />;
}

/** What ran: the answer of a read, or what came of the user's decision on a confirmation. */
export function AnswerView({
  answer,
  decision,
}: {
  answer: AskResult | undefined;
  decision: DecisionOutcome | undefined;
}) {
  if (decision)
    return (
      <>
        <p className="notice notice-info" data-testid="confirm-outcome">
          {/* The service's own message repeats this sentence ("Nothing was run."), so it is not added. */}
          {decision.decision === 'accept' ? 'Accepted: ran the command shown.' : 'Declined: nothing was run.'}
        </p>
        {decision.result.compound ? (
          <CompoundPanel compound={decision.result.compound} />
        ) : (
          <ResultOutput result={decision.result} testId="output" />
        )}
      </>
    );
  if (!answer || answer.confirmation_needed) return null;
  return answer.compound ? (
    <CompoundPanel compound={answer.compound} />
  ) : (
    <ResultOutput result={answer} testId="output" />
  );
}
