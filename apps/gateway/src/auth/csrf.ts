import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const csrfCookieName = 'ashapp_csrf';
export const csrfHeaderName = 'x-csrf-token';

/**
 * Double-submit tokens, signed and bound to the session they were issued for (or to "anonymous" before
 * sign-in): a cookie planted by a sibling subdomain or left from another session does not pass.
 */
export interface CsrfTokens {
  issue(binding: string): string;
  /** Whether `token` was issued by us for `binding`. */
  isValidFor(token: string | undefined, binding: string): boolean;
  /** Cookie and header agree and the token belongs to `binding`. */
  verify(cookie: string | undefined, header: string | undefined, binding: string): boolean;
}

export const anonymousBinding = 'anonymous';

export function createCsrfTokens(secretKey: Buffer): CsrfTokens {
  const key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'ashapp gateway csrf', 32));
  const mac = (binding: string, nonce: string) =>
    createHmac('sha256', key).update(`${binding}|${nonce}`).digest('base64url');

  function isValidFor(token: string | undefined, binding: string): boolean {
    if (!token) return false;
    const [nonce, signature, extra] = token.split('.');
    if (!nonce || !signature || extra !== undefined) return false;
    const expected = Buffer.from(mac(binding, nonce));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  return {
    issue(binding) {
      const nonce = randomBytes(18).toString('base64url');
      return `${nonce}.${mac(binding, nonce)}`;
    },
    isValidFor,
    verify(cookie, header, binding) {
      if (!cookie || !header) return false;
      const a = Buffer.from(cookie);
      const b = Buffer.from(header);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
      return isValidFor(cookie, binding);
    },
  };
}
