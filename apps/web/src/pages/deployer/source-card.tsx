import type { KeyboardEvent } from 'react';
import type { ValidationResult } from '../../api/deployer.ts';
import { Field, Input, TextArea } from '../../components/field.tsx';
import type { SourceKind, SourceValues } from './deploy-form.ts';

const EXAMPLE_APP = `from flask import Flask

app = Flask(__name__)

@app.route("/<name>")
def hello(name):
    return f"Hello, {name}!"

if __name__ == "__main__":
    # Runs on port 5000 (can be changed)
    app.run(host="0.0.0.0", port=5000, debug=True)
`;

const SOURCE_KINDS: readonly SourceKind[] = ['code', 'git'];
const SOURCE_LABEL: Record<SourceKind, string> = { code: 'Paste code', git: 'Git repository' };

export interface SourceCardProps {
  appName: string;
  nameProblem: string | undefined;
  onAppName(value: string): void;
  source: SourceKind;
  onSource(source: SourceKind): void;
  values: SourceValues;
  onValue(key: keyof SourceValues, value: string): void;
  validation: ValidationResult | undefined;
  /** Some request (validate, preview, deploy) is under way: Validate waits. */
  busy: boolean;
  validating: boolean;
  onValidate(): void;
}

/** The app's name and where its code comes from: pasted (with Validate) or a Git repository. */
export function SourceCard(props: SourceCardProps) {
  const { source, onSource } = props;

  // Arrow keys, Home and End move between the two tabs (the WAI-ARIA tabs pattern).
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const target: SourceKind | undefined =
      event.key === 'Home'
        ? 'code'
        : event.key === 'End'
          ? 'git'
          : event.key === 'ArrowRight' || event.key === 'ArrowLeft'
            ? source === 'code'
              ? 'git'
              : 'code'
            : undefined;
    if (!target) return;
    event.preventDefault();
    onSource(target);
    document.getElementById(`source-tab-${target}`)?.focus();
  };

  return (
    <section className="card" aria-labelledby="source-title">
      <h2 id="source-title">Application source</h2>
      <Field id="dep-app-name" label="App name" error={props.nameProblem}>
        <Input
          value={props.appName}
          onValue={props.onAppName}
          placeholder="letters, numbers, dashes"
          verbatim
          testId="deploy-app-name"
        />
      </Field>
      <div className="tablist" role="tablist" aria-label="Source">
        {SOURCE_KINDS.map((kind) => (
          <button
            key={kind}
            id={`source-tab-${kind}`}
            type="button"
            role="tab"
            className="tab"
            aria-selected={source === kind}
            aria-controls={`source-panel-${kind}`}
            tabIndex={source === kind ? 0 : -1}
            onClick={() => onSource(kind)}
            onKeyDown={onTabKey}
            data-testid={`source-tab-${kind}`}
          >
            {SOURCE_LABEL[kind]}
          </button>
        ))}
      </div>
      <CodePanel {...props} hidden={source !== 'code'} />
      <GitPanel values={props.values} onValue={props.onValue} hidden={source !== 'git'} />
    </section>
  );
}

function CodePanel({
  values,
  onValue,
  validation,
  busy,
  validating,
  onValidate,
  hidden,
}: SourceCardProps & { hidden: boolean }) {
  return (
    <div id="source-panel-code" role="tabpanel" aria-labelledby="source-tab-code" hidden={hidden}>
      <Field
        id="dep-code"
        label="Flask app.py"
        action={
          <button
            type="button"
            className="link-button small-text"
            onClick={() => onValue('code', EXAMPLE_APP)}
          >
            Insert example
          </button>
        }
      >
        <TextArea
          className="mono code-input"
          rows={14}
          value={values.code}
          onValue={(value) => onValue('code', value)}
          placeholder="Paste your Flask app.py code here..."
          spellCheck={false}
          testId="deploy-code"
        />
      </Field>
      <Field id="dep-requirements" label="requirements.txt (optional)">
        <TextArea
          className="mono"
          rows={3}
          value={values.requirements}
          onValue={(value) => onValue('requirements', value)}
          placeholder="flask==3.0.3"
          spellCheck={false}
          testId="deploy-requirements"
        />
      </Field>
      <div className="button-row">
        <button
          type="button"
          className="button primary"
          onClick={onValidate}
          disabled={busy || !values.code.trim()}
          data-testid="deploy-validate"
        >
          {validating ? 'Validating…' : 'Validate'}
        </button>
        <div aria-live="polite" className="validation" data-testid="validation-result">
          <ValidationVerdict validation={validation} />
        </div>
      </div>
      {validation && !validation.valid && validation.errors && validation.errors.length > 0 ? (
        <ul className="validation-errors" data-testid="validation-errors">
          {validation.errors.map((issue, index) => (
            <li key={index}>
              {issue.line !== undefined ? (
                <code>
                  {issue.line}:{issue.column ?? 0}
                </code>
              ) : null}{' '}
              {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function ValidationVerdict({ validation }: { validation: ValidationResult | undefined }) {
  if (!validation) return null;
  if (!validation.valid)
    return <span className="error-text">Not valid{validation.error ? `: ${validation.error}` : ''}</span>;
  return (
    <span className="ok-text">
      Valid ✓{validation.app_object ? ` (app: ${validation.app_object})` : ''}
      {typeof validation.port === 'number' ? `, port ${validation.port}` : ''}
    </span>
  );
}

function GitPanel({
  values,
  onValue,
  hidden,
}: Pick<SourceCardProps, 'values' | 'onValue'> & { hidden: boolean }) {
  return (
    <div
      id="source-panel-git"
      role="tabpanel"
      aria-labelledby="source-tab-git"
      hidden={hidden}
      className="form-grid"
    >
      <Field id="dep-repo" label="Repository URL" className="span-all">
        <Input
          value={values.repoUrl}
          onValue={(value) => onValue('repoUrl', value)}
          placeholder="https://github.com/owner/repo.git"
          verbatim
          testId="deploy-repo-url"
        />
      </Field>
      <Field id="dep-ref" label="Ref (branch, tag or commit)">
        <Input
          value={values.ref}
          onValue={(value) => onValue('ref', value)}
          placeholder="main"
          verbatim
          testId="deploy-ref"
        />
      </Field>
      <Field id="dep-image" label="Image name">
        <Input
          value={values.imageName}
          onValue={(value) => onValue('imageName', value)}
          placeholder="user/app"
          verbatim
          testId="deploy-image-name"
        />
      </Field>
      <Field id="dep-tag" label="Tag">
        <Input value={values.tag} onValue={(value) => onValue('tag', value)} verbatim testId="deploy-tag" />
      </Field>
    </div>
  );
}
