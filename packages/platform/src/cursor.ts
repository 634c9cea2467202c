import { InputError } from './errors.ts';

/** A position in a newest-first listing: the (time, id) of the last row of the previous page. */
export interface Cursor {
  readonly at: number;
  readonly id: string;
}

/** Opaque to clients: base64url of a small JSON. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

/** Throws `InputError` for anything `encodeCursor` did not make. */
export function decodeCursor(text: string): Cursor {
  try {
    if (text.length > 200) throw new Error('too long');
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isSafeInteger(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      parsed[1].length <= 64
    ) {
      return { at: parsed[0] as number, id: parsed[1] };
    }
  } catch {
    // fall through to the one error below
  }
  throw new InputError('cursor is invalid; use the value from the previous page', { field: 'cursor' });
}
