import { useEffect, useState } from 'react';
import { useApi } from '../../api-context.tsx';
import type { ServiceRoleChoices } from '../../api/codebuild.ts';

const ENTER_ARN = '__enter_arn__';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/;

export interface ServiceRoleValue {
  /** The ARN to send, or undefined for the operator's default. */
  arn: string | undefined;
  /** False while an entered ARN is not an IAM role ARN, or when no role is chosen and there is no default. */
  ready: boolean;
}

/**
 * The service role a new CodeBuild project runs as: one of the account's roles CodeBuild may assume (listed
 * with the user's own credentials), the operator's default, or an ARN typed in.
 */
export function ServiceRoleField({
  active,
  onChange,
}: {
  active: boolean;
  onChange(value: ServiceRoleValue): void;
}) {
  const api = useApi();
  const [choices, setChoices] = useState<ServiceRoleChoices | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [choice, setChoice] = useState<string>('');
  const [typed, setTyped] = useState('');

  useEffect(() => {
    if (!active || choices || loadError) return;
    let cancelled = false;
    api.codebuild
      .listServiceRoles()
      .then((answer) => {
        if (cancelled) return;
        setChoices(answer);
        // Nothing to default to: preselect the first listed role, or ask for an ARN.
        if (!answer.default_role) setChoice(answer.roles[0]?.arn ?? ENTER_ARN);
      })
      .catch((cause: unknown) => {
        if (!cancelled) {
          setLoadError(cause instanceof Error ? cause.message : 'the roles could not be listed');
          setChoice(ENTER_ARN);
        }
      });
    return () => {
      cancelled = true;
    };
  }, [active, api, choices, loadError]);

  const entering = choice === ENTER_ARN;
  const typedProblem =
    entering && typed.trim() && !ROLE_ARN.test(typed.trim())
      ? 'Not an IAM role ARN (arn:aws:iam::<account>:role/<name>).'
      : undefined;
  useEffect(() => {
    if (entering) onChange({ arn: typed.trim() || undefined, ready: ROLE_ARN.test(typed.trim()) });
    else if (choice) onChange({ arn: choice, ready: true });
    else onChange({ arn: undefined, ready: Boolean(choices?.default_role) });
  }, [choice, typed, entering, choices, onChange]);

  const listProblem = loadError ?? choices?.list_error;
  return (
    <div className="field span-all" data-testid="codebuild-role-field">
      <label htmlFor="cb-role">Service role</label>
      <p id="cb-role-why" className="muted small-text">
        CodeBuild runs each build as an IAM role: it needs a role whose trust policy allows
        codebuild.amazonaws.com and that may read the source and write CloudWatch Logs. Pick one of this
        account&apos;s roles or enter its ARN.
      </p>
      <select
        id="cb-role"
        value={choice}
        onChange={(event) => setChoice(event.target.value)}
        aria-describedby="cb-role-why"
        data-testid="codebuild-role"
      >
        {choices?.default_role ? <option value="">Operator default ({choices.default_role})</option> : null}
        {!choices && !loadError ? <option value="">Loading roles…</option> : null}
        {choices?.roles.map((role) => (
          <option key={role.arn} value={role.arn}>
            {role.name}
            {role.description ? ` — ${role.description}` : ''}
          </option>
        ))}
        <option value={ENTER_ARN}>Enter a role ARN…</option>
      </select>
      {choices && choices.roles.length === 0 && !listProblem ? (
        <p className="muted small-text" data-testid="codebuild-role-none">
          No role in this account lets CodeBuild assume it: create one in IAM (trusted entity: CodeBuild), or
          enter an ARN.
        </p>
      ) : null}
      {listProblem ? (
        <p className="notice" data-testid="codebuild-role-list-error">
          {listProblem}
        </p>
      ) : null}
      {entering ? (
        <>
          <label htmlFor="cb-role-arn" className="visually-hidden">
            Service role ARN
          </label>
          <input
            id="cb-role-arn"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            placeholder="arn:aws:iam::123456789012:role/codebuild-service-role"
            autoCapitalize="off"
            spellCheck={false}
            aria-invalid={typedProblem ? true : undefined}
            aria-describedby={typedProblem ? 'cb-role-arn-problem' : undefined}
            data-testid="codebuild-role-arn"
          />
          {typedProblem ? (
            <p id="cb-role-arn-problem" className="field-problem">
              {typedProblem}
            </p>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
