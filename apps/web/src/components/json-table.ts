/** Turns an AWS JSON answer into a table: columns from the objects' keys, nested values compacted. */

export interface JsonTable {
  /** Where the rows came from, e.g. `Buckets` or `Reservations[].Instances`. */
  title: string | undefined;
  columns: string[];
  rows: string[][];
  /** The value behind each cell of `rows`, so nested objects and arrays can be shown whole on demand. */
  raw: unknown[][];
  /** Scalar fields beside the collection (e.g. `Owner.DisplayName`), shown as a caption. */
  extras: [string, string][];
}

const MAX_CELL = 160;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTagList(value: unknown[]): value is { Key: unknown; Value: unknown }[] {
  return value.length > 0 && value.every((item) => isPlainObject(item) && 'Key' in item && 'Value' in item);
}

/** One line for any JSON value: AWS tag lists as `k=v`, arrays joined, objects as short JSON. */
export function compactValue(value: unknown, limit = MAX_CELL): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value)) {
    if (isTagList(value))
      text = value.map((tag) => `${compactValue(tag.Key)}=${compactValue(tag.Value)}`).join(', ');
    else if (value.every((item) => !isPlainObject(item) && !Array.isArray(item)))
      text = value.map((item) => compactValue(item)).join(', ');
    else text = JSON.stringify(value);
  } else text = JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

function isObjectArray(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
}

/**
 * An array whose items each hold one array of objects under the same key (EC2's Reservations →
 * Instances) reads better as the inner items; returns that key or undefined.
 */
function findNestedCollection(items: Record<string, unknown>[]): string | undefined {
  const first = items[0];
  if (!first) return undefined;
  // Only wrappers are unwrapped: a Reservation has a few ids beside its Instances, while an Instance has
  // many fields of its own and its Tags or SecurityGroups are details of it, not the rows to show.
  const scalarFields = Object.values(first).filter((value) => !Array.isArray(value) && !isPlainObject(value));
  if (scalarFields.length > 4) return undefined;
  const candidates = Object.keys(first).filter((key) =>
    items.every(
      (item) =>
        Array.isArray(item[key]) &&
        (item[key] as unknown[]).every(isPlainObject) &&
        !isTagList(item[key] as unknown[]),
    ),
  );
  const withObjects = candidates.filter((key) => items.some((item) => isObjectArray(item[key])));
  // Only one such key, otherwise the choice would be a guess (Reservations hold Groups too, but those
  // are small objects lists; prefer the key named like a resource collection).
  if (withObjects.length === 1) return withObjects[0];
  return withObjects.find((key) => key === 'Instances');
}

function tableFromObjects(items: Record<string, unknown>[], title: string | undefined): JsonTable {
  const nested = findNestedCollection(items);
  if (nested) {
    const inner = items.flatMap((item) => item[nested] as Record<string, unknown>[]);
    if (inner.length > 0) return tableFromObjects(inner, `${title ?? ''}[].${nested}`.replace(/^\[\]\./, ''));
  }
  const columns: string[] = [];
  for (const item of items)
    for (const key of Object.keys(item)) if (!columns.includes(key)) columns.push(key);
  return {
    title,
    columns,
    rows: items.map((item) => columns.map((column) => compactValue(item[column]))),
    raw: items.map((item) => columns.map((column) => item[column])),
    extras: [],
  };
}

export function toJsonTable(value: unknown): JsonTable | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return { title: undefined, columns: [], rows: [], raw: [], extras: [] };
    if (value.every(isPlainObject)) return tableFromObjects(value, undefined);
    if (value.every(Array.isArray)) {
      const width = Math.max(...value.map((row) => row.length));
      return {
        title: undefined,
        columns: Array.from({ length: width }, (_, index) => `#${index + 1}`),
        rows: value.map((row) => Array.from({ length: width }, (_, index) => compactValue(row[index]))),
        raw: value.map((row) => Array.from({ length: width }, (_, index) => (row as unknown[])[index])),
        extras: [],
      };
    }
    return {
      title: undefined,
      columns: ['Value'],
      rows: value.map((item) => [compactValue(item)]),
      raw: value.map((item) => [item]),
      extras: [],
    };
  }
  if (!isPlainObject(value)) return undefined;
  const arrayKeys = Object.keys(value).filter((key) => Array.isArray(value[key]));
  // Prefer the collection of objects with the most rows (S3 `Buckets`, IAM `Users`, …).
  const collectionKey =
    arrayKeys
      .filter((key) => isObjectArray(value[key]))
      .sort((a, b) => (value[b] as unknown[]).length - (value[a] as unknown[]).length)[0] ?? arrayKeys[0];
  const extras: [string, string][] = [];
  const extraValues: unknown[] = [];
  for (const [key, field] of Object.entries(value)) {
    if (key === collectionKey) continue;
    if (isPlainObject(field))
      for (const [inner, innerValue] of Object.entries(field)) {
        extras.push([`${key}.${inner}`, compactValue(innerValue)]);
        extraValues.push(innerValue);
      }
    else {
      extras.push([key, compactValue(field)]);
      extraValues.push(field);
    }
  }
  if (collectionKey) {
    const table = toJsonTable(value[collectionKey]);
    if (table)
      return { ...table, title: table.title ? `${collectionKey}[].${table.title}` : collectionKey, extras };
  }
  // A single object (sts get-caller-identity): one row per field.
  return {
    title: undefined,
    columns: ['Field', 'Value'],
    rows: extras.map(([key, field]) => [key, field]),
    raw: extras.map(([key], index) => [key, extraValues[index]]),
    extras: [],
  };
}

/** Whether a cell's value is an object or an array of objects, shown compacted with the whole value on demand. */
export function isNestedValue(value: unknown): boolean {
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  if (!Array.isArray(value)) return false;
  return !isTagList(value) && value.some((item) => isPlainObject(item) || Array.isArray(item));
}

/** Parses text that may be JSON; undefined when it is not. */
export function tryParseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}
