import {
  createContext,
  useContext,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';

/** What a field hands its control: the id its label points at and the ids of what describes it. */
export interface FieldControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
  required?: true;
}

const FieldContext = createContext<FieldControlProps | undefined>(undefined);

/** The label, hint and error wiring of the enclosing `Field`; a control outside one is a mistake. */
export function useFieldControl(): FieldControlProps {
  const control = useContext(FieldContext);
  if (!control) throw new Error('A form control must sit inside a <Field>.');
  return control;
}

/** Ids derived from the control's: `<id>-hint` and `<id>-problem`, described only while they are shown. */
export function describeFieldControl(options: {
  id: string;
  hint?: ReactNode;
  error?: string;
  required?: boolean;
}): FieldControlProps {
  const describedBy = [options.hint ? `${options.id}-hint` : '', options.error ? `${options.id}-problem` : '']
    .filter(Boolean)
    .join(' ');
  return {
    id: options.id,
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
    ...(options.error ? { 'aria-invalid': true as const } : {}),
    ...(options.required ? { required: true as const } : {}),
  };
}

export interface FieldProps {
  /** The control's id; the label points at it and the hint and error ids derive from it. */
  id: string;
  label: ReactNode;
  /** Shown under the control and read with it. */
  hint?: ReactNode;
  /** What is wrong with the value now; marks the control invalid and is read with it. */
  error?: string | undefined;
  required?: boolean;
  /** A control beside the label (an "Insert example" link), on the label's row. */
  action?: ReactNode;
  /** Label for screen readers only, where the layout already says what the control is. */
  hideLabel?: boolean;
  /** Layout in its grid: `span-all`, `grow`. */
  className?: string;
  testId?: string;
  children: ReactNode;
}

/**
 * One form field: label, the control (an `Input`, `NumberInput`, `Select` or `TextArea` from this file),
 * hint and error, with the accessibility wiring between them done once here.
 */
export function Field({
  id,
  label,
  hint,
  error,
  required,
  action,
  hideLabel,
  className,
  testId,
  children,
}: FieldProps) {
  const labelElement = (
    <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
      {label}
    </label>
  );
  return (
    <div className={className ? `field ${className}` : 'field'} data-testid={testId}>
      {action ? (
        <div className="label-row">
          {labelElement}
          {action}
        </div>
      ) : (
        labelElement
      )}
      <FieldContext.Provider value={describeFieldControl({ id, hint, error, required })}>
        {children}
      </FieldContext.Provider>
      {hint ? (
        <p id={`${id}-hint`} className="muted small-text">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-problem`} className="field-problem">
          {error}
        </p>
      ) : null}
    </div>
  );
}

type Native<T> = Omit<T, 'id' | 'onChange' | 'value' | 'aria-describedby' | 'aria-invalid' | 'required'>;

export interface InputProps extends Native<InputHTMLAttributes<HTMLInputElement>> {
  value: string;
  onValue(value: string): void;
  /** Names, URLs and keys: typed as is, no capitalising or spell-checking. */
  verbatim?: boolean;
  testId?: string;
}

export function Input({ value, onValue, verbatim, testId, ...rest }: InputProps) {
  const control = useFieldControl();
  return (
    <input
      {...rest}
      {...control}
      {...(verbatim ? { autoCapitalize: 'off', spellCheck: false } : {})}
      value={value}
      onChange={(event) => onValue(event.target.value)}
      data-testid={testId}
    />
  );
}

export interface NumberInputProps extends Native<InputHTMLAttributes<HTMLInputElement>> {
  value: number;
  onValue(value: number): void;
  testId?: string;
}

/** A number box; what the user types goes up as a number and the server checks the range again. */
export function NumberInput({ value, onValue, testId, ...rest }: NumberInputProps) {
  const control = useFieldControl();
  return (
    <input
      {...rest}
      {...control}
      type="number"
      value={value}
      onChange={(event) => onValue(Number(event.target.value))}
      data-testid={testId}
    />
  );
}

export interface SelectProps<T extends string> extends Native<SelectHTMLAttributes<HTMLSelectElement>> {
  value: T;
  onValue(value: T): void;
  testId?: string;
}

/** A choice among `option`s whose values are all of type `T`. */
export function Select<T extends string>({ value, onValue, testId, children, ...rest }: SelectProps<T>) {
  const control = useFieldControl();
  return (
    <select
      {...rest}
      {...control}
      value={value}
      onChange={(event) => onValue(event.target.value as T)}
      data-testid={testId}
    >
      {children}
    </select>
  );
}

export interface TextAreaProps extends Native<TextareaHTMLAttributes<HTMLTextAreaElement>> {
  value: string;
  onValue(value: string): void;
  testId?: string;
}

export function TextArea({ value, onValue, testId, ...rest }: TextAreaProps) {
  const control = useFieldControl();
  return (
    <textarea
      {...rest}
      {...control}
      value={value}
      onChange={(event) => onValue(event.target.value)}
      data-testid={testId}
    />
  );
}
