import type { PlanChoice } from '../../api/assistant.ts';

/** Several operations fit equally: nothing ran, and each is offered to ask again precisely. */
export function PlanChoices({
  choices,
  busy,
  onPick,
}: {
  choices: readonly PlanChoice[];
  busy: boolean;
  onPick(command: string): void;
}) {
  return (
    <div className="notice notice-info" data-testid="ask-choices">
      <p>Several operations fit this request, so nothing ran. Pick the one you mean:</p>
      <ul className="choice-list">
        {choices.map((choice) => (
          <li key={choice.command}>
            <button
              type="button"
              className="button small"
              disabled={busy}
              onClick={() => onPick(choice.command)}
              data-testid="ask-choice"
            >
              <code>{choice.command}</code>
            </button>
            {choice.description ? <span className="muted small-text"> {choice.description}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
