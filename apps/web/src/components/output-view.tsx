import { useId, useMemo, useState } from 'react';
import { isNestedValue, toJsonTable, tryParseJson } from './json-table.ts';

type View = 'table' | 'json' | 'text';

export interface OutputViewProps {
  /** Parsed JSON result, when the service gave one. */
  json?: unknown;
  /** The text form (CLI text output or the plain output string). */
  text: string;
  testId?: string;
}

/** A cell: scalars as text; nested objects and arrays as their one-line form that opens to the whole value. */
function TableCell({ text, value }: { text: string; value: unknown }) {
  if (!isNestedValue(value)) return <td title={text.length > 40 ? text : undefined}>{text}</td>;
  return (
    <td className="nested-cell">
      <details data-testid="output-nested">
        <summary title="Show the whole value">{text}</summary>
        <pre className="nested-value">{JSON.stringify(value, null, 2)}</pre>
      </details>
    </td>
  );
}

/** Shows a result as a table when it is JSON, with the raw JSON and the text form one click away. */
export function OutputView({ json, text, testId = 'output' }: OutputViewProps) {
  const data = useMemo(() => (json !== undefined && json !== null ? json : tryParseJson(text)), [json, text]);
  const table = useMemo(() => (data === undefined ? undefined : toJsonTable(data)), [data]);
  const [chosen, setChosen] = useState<View>('table');
  const view: View =
    chosen === 'table' && !table
      ? data === undefined
        ? 'text'
        : 'json'
      : chosen === 'json' && data === undefined
        ? 'text'
        : chosen;
  const captionId = useId();

  const options: { id: View; label: string; available: boolean }[] = [
    { id: 'table', label: 'Table', available: table !== undefined },
    { id: 'json', label: 'Raw JSON', available: data !== undefined },
    { id: 'text', label: 'Text', available: true },
  ];

  return (
    <div className="output-view" data-testid={testId}>
      {data !== undefined ? (
        <div className="segmented" role="group" aria-label="Output format">
          {options
            .filter((option) => option.available)
            .map((option) => (
              <button
                key={option.id}
                type="button"
                className="segment"
                aria-pressed={view === option.id}
                onClick={() => setChosen(option.id)}
                data-testid={`${testId}-view-${option.id}`}
              >
                {option.label}
              </button>
            ))}
        </div>
      ) : null}
      {view === 'table' && table ? (
        table.rows.length === 0 ? (
          <p className="muted">No items.</p>
        ) : (
          <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={captionId}>
            <table className="data-table" data-testid={`${testId}-table`}>
              <caption id={captionId}>
                {table.title ?? 'Result'} · {table.rows.length} {table.rows.length === 1 ? 'row' : 'rows'}
                {table.extras.length > 0 ? (
                  <span className="extras">
                    {table.extras.map(([key, value]) => (
                      <span key={key}>
                        {key}: <code>{value}</code>
                      </span>
                    ))}
                  </span>
                ) : null}
              </caption>
              <thead>
                <tr>
                  {table.columns.map((column) => (
                    <th key={column} scope="col">
                      {column}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {table.rows.map((row, index) => (
                  <tr key={index}>
                    {row.map((cell, cellIndex) => (
                      <TableCell key={cellIndex} text={cell} value={table.raw[index]?.[cellIndex]} />
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : view === 'json' ? (
        <pre className="code-block" data-testid={`${testId}-json`} tabIndex={0}>
          {JSON.stringify(data, null, 2)}
        </pre>
      ) : (
        <pre className="code-block" data-testid={`${testId}-text`} tabIndex={0}>
          {text || '(no output)'}
        </pre>
      )}
    </div>
  );
}
