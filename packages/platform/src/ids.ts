import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7: time-ordered, so ids sort by creation and index well, and unique across processes.
 *
 * @example
 * const id = createId(); // '01938d3e-…'
 */
export function createId(now: number = Date.now()): string {
  // randomUUID draws from a cached entropy pool (cheap); its first 48 bits are replaced by the time and
  // the version nibble set to 7. Variant bits are already RFC 4122's.
  const random = randomUUID();
  const time = now.toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
