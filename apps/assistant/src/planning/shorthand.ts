import { InputError } from '@ashapp/platform';
import type { ServiceModel, Shape } from '../aws-models/model-catalog.ts';

/**
 * Parses the AWS CLI shorthand syntax (`Name=instance-state-name,Values=running,stopped`,
 * `Key=a,Value={x=1}`, `Values=[a,b]`) into plain JSON values (all scalars as strings). Types are applied
 * afterwards with {@link coerceToShape}.
 */
export function parseShorthand(text: string): Record<string, unknown> {
  const parser = createCursor(text);
  const value = parser.readStructure(false);
  if (!parser.atEnd())
    throw new InputError(`shorthand syntax: unexpected "${text.slice(parser.position())}"`);
  return value;
}

function createCursor(text: string) {
  let pos = 0;
  const fail = (what: string): never => {
    throw new InputError(`shorthand syntax error at position ${pos + 1} of "${text}": ${what}`);
  };
  const peek = (): string | undefined => text[pos];
  const atEnd = (): boolean => pos >= text.length;
  const skipSpaces = (): void => {
    while (peek() === ' ') pos++;
  };

  // A comma continues the current value as a list unless what follows is `key=`.
  const startsKey = (at: number): boolean => /^\s*[A-Za-z0-9_.:\-/]+\s*=/.test(text.slice(at));

  function readQuoted(): string {
    const quote = peek() as string;
    const end = text.indexOf(quote, pos + 1);
    if (end < 0) fail('unterminated quote');
    const value = text.slice(pos + 1, end);
    pos = end + 1;
    return value;
  }

  function readScalar(stops: string): string {
    skipSpaces();
    if (peek() === '"' || peek() === "'") return readQuoted();
    let out = '';
    while (!atEnd() && !stops.includes(peek() as string)) {
      if (peek() === '\\' && pos + 1 < text.length) {
        out += text[pos + 1];
        pos += 2;
        continue;
      }
      out += peek();
      pos++;
    }
    return out.trim();
  }

  function readList(): unknown[] {
    pos++; // [
    const items: unknown[] = [];
    skipSpaces();
    if (peek() === ']') {
      pos++;
      return items;
    }
    for (let guard = 0; guard < 10_000; guard++) {
      items.push(readValue(',]'));
      skipSpaces();
      if (peek() === ',') {
        pos++;
        continue;
      }
      if (peek() === ']') {
        pos++;
        return items;
      }
      fail('expected "," or "]"');
    }
    return fail('list too long');
  }

  function readValue(stops: string): unknown {
    skipSpaces();
    if (peek() === '[') return readList();
    if (peek() === '{') {
      pos++;
      const value = readStructure(true);
      if (peek() !== '}') fail('expected "}"');
      pos++;
      return value;
    }
    return readScalar(stops);
  }

  function readStructure(nested: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const stops = nested ? ',}' : ',';
    for (let guard = 0; guard < 10_000; guard++) {
      skipSpaces();
      if (atEnd() || (nested && peek() === '}')) return out;
      const keyStart = pos;
      while (!atEnd() && peek() !== '=' && !stops.includes(peek() as string)) pos++;
      if (peek() !== '=') fail(`expected key=value near "${text.slice(keyStart, pos + 1)}"`);
      const key = text.slice(keyStart, pos).trim();
      if (key === '') fail('empty key');
      pos++; // =
      let value = readValue(stops);
      // `Values=a,b,c`: collect the comma-separated continuation as a list.
      if (peek() === ',' && !startsKey(pos + 1)) {
        const items = [value];
        while (peek() === ',' && !startsKey(pos + 1)) {
          pos++;
          items.push(readValue(stops));
        }
        value = items;
      }
      out[key] = value;
      if (peek() === ',') {
        pos++;
        continue;
      }
      if (atEnd() || (nested && peek() === '}')) return out;
      fail('expected ","');
    }
    return fail('structure too long');
  }

  return { readStructure, atEnd, position: () => pos };
}

/**
 * Converts parsed CLI strings to the model's types: integers, numbers and booleans from their text, a
 * single value where a list is expected into a one-item list. Anything it cannot convert is left as is so
 * validation reports it with the parameter's name.
 */
export function coerceToShape(service: ServiceModel, shape: Shape, value: unknown, depth = 0): unknown {
  if (depth > 12 || shape.document) return value;
  switch (shape.type) {
    case 'integer':
    case 'long':
      return typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number.parseInt(value, 10) : value;
    case 'float':
    case 'double':
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
        ? Number(value)
        : value;
    case 'boolean':
      if (value === 'true' || value === 'True') return true;
      if (value === 'false' || value === 'False') return false;
      return value;
    case 'list': {
      const member = service.getShape(shape.member?.shape ?? '');
      const list = Array.isArray(value) ? value : [value];
      return list.map((item) => coerceToShape(service, member, item, depth + 1));
    }
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const ref = shape.members?.[key];
        out[key] = ref ? coerceToShape(service, service.getShape(ref.shape), item, depth + 1) : item;
      }
      return out;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const valueShape = service.getShape(shape.value?.shape ?? '');
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value))
        out[key] = coerceToShape(service, valueShape, item, depth + 1);
      return out;
    }
    default:
      return value;
  }
}
