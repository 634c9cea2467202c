import type { FormEvent, KeyboardEvent } from 'react';

const EXAMPLES = ['list ec2 instance ids', 'list s3 buckets', 'who am i', 'list lambda functions'];

export interface AskFormProps {
  query: string;
  onQuery(query: string): void;
  busy: boolean;
  onSubmit(): void;
}

/** The request box with its examples; Ctrl+Enter (or Cmd+Enter) submits like the button. */
export function AskForm({ query, onQuery, busy, onSubmit }: AskFormProps) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onSubmit();
    }
  };
  return (
    <form className="ask-form" onSubmit={submit} aria-label="Ask AWS">
      <label htmlFor="ask-query" className="visually-hidden">
        Your AWS request
      </label>
      <textarea
        id="ask-query"
        className="ask-input"
        placeholder="Type your AWS request here..."
        value={query}
        onChange={(event) => onQuery(event.target.value)}
        onKeyDown={onKeyDown}
        rows={5}
        aria-describedby="ask-hint"
        data-testid="ask-query"
      />
      <p id="ask-hint" className="muted small-text">
        Plain language or AWS CLI syntax. Ctrl+Enter submits. Try:{' '}
        {EXAMPLES.map((example) => (
          <button key={example} type="button" className="chip" onClick={() => onQuery(example)}>
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
  );
}
