import { InputError } from '@ashapp/platform';

const ACCEPT = new Set([
  'accept',
  'accepted',
  'yes',
  'y',
  'confirm',
  'confirmed',
  'approve',
  'ok',
  'run',
  'true',
]);
const DECLINE = new Set(['decline', 'declined', 'no', 'n', 'reject', 'cancel', 'deny', 'abort', 'false']);

/**
 * Reads a decision as the original UI sent it ("yes"/"no", "accept"/"decline", any case). Anything else is
 * refused rather than guessed: an unclear answer must never run a change.
 */
export function readDecision(value: string | boolean): 'accept' | 'decline' {
  const word = String(value).trim().toLowerCase();
  if (ACCEPT.has(word)) return 'accept';
  if (DECLINE.has(word)) return 'decline';
  throw new InputError('decision must be "accept" or "decline" (or yes/no)', { field: 'decision' });
}
