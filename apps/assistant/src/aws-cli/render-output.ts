export interface TableView {
  columns: string[];
  rows: Record<string, string>[];
  /** Whether rows were cut at the limit. */
  truncated: boolean;
}

const PAGINATION_KEYS = new Set([
  'NextToken',
  'nextToken',
  'Marker',
  'NextMarker',
  'IsTruncated',
  'ResponseMetadata',
]);

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Finds the list a response is about: the array itself, or the only array-valued field (after unwrapping). */
function findRows(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  if (json !== null && typeof json === 'object') {
    const entries = Object.entries(json).filter(([k]) => !PAGINATION_KEYS.has(k));
    const arrays = entries.filter(([, v]) => Array.isArray(v));
    if (arrays.length === 1 && entries.length <= 2) return arrays[0]?.[1] as unknown[];
    if (entries.length === 1 && entries[0] && typeof entries[0][1] === 'object' && entries[0][1] !== null) {
      return findRows(entries[0][1]);
    }
    return [json];
  }
  return [json];
}

/**
 * Turns CLI JSON output into a table: columns are the keys seen in the rows (nested objects one level
 * deep as `Parent.Child`), lists of scalars become a single `Value` column.
 */
export function renderTable(json: unknown, maxRows = 1000): TableView {
  // Nested lists such as `Reservations[].Instances[]` results are flattened one level.
  let rows = findRows(json);
  if (
    rows.every((r) => Array.isArray(r)) &&
    rows.some((r) => (r as unknown[]).some((x) => typeof x === 'object' && x !== null))
  ) {
    rows = rows.flat();
  }
  const truncated = rows.length > maxRows;
  const limited = rows.slice(0, maxRows);
  const columns: string[] = [];
  const addColumn = (name: string) => {
    if (!columns.includes(name)) columns.push(name);
  };
  const out = limited.map((row) => {
    if (row === null || typeof row !== 'object') {
      addColumn('Value');
      return { Value: cell(row) };
    }
    if (Array.isArray(row)) {
      const record: Record<string, string> = {};
      row.forEach((v, i) => {
        addColumn(String(i + 1));
        record[String(i + 1)] = cell(v);
      });
      return record;
    }
    const record: Record<string, string> = {};
    for (const [key, value] of Object.entries(row)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [child, inner] of Object.entries(value)) {
          addColumn(`${key}.${child}`);
          record[`${key}.${child}`] = cell(inner);
        }
      } else {
        addColumn(key);
        record[key] = cell(value);
      }
    }
    return record;
  });
  return { columns, rows: out, truncated };
}

/**
 * A text form in the spirit of `--output text`: scalars as they are, a list of scalars on one
 * tab-separated line, and one tab-separated line per object or row.
 */
export function renderText(json: unknown): string {
  if (json === null || json === undefined) return '';
  if (typeof json !== 'object') return String(json);
  if (Array.isArray(json)) {
    if (json.every((v) => v === null || typeof v !== 'object')) return json.map(cell).join('\t');
    return json.map((v) => renderText(v)).join('\n');
  }
  const values = Object.values(json);
  if (values.every((v) => v === null || typeof v !== 'object')) return values.map(cell).join('\t');
  return Object.entries(json)
    .map(([key, value]) =>
      value !== null && typeof value === 'object'
        ? `${key.toUpperCase()}\n${renderText(value)}`
        : `${key}\t${cell(value)}`,
    )
    .join('\n');
}
