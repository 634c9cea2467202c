/** What a masked value is replaced with. */
export const maskedValue = '***';

// Key names that hold secrets, compared after lower-casing and dropping `-`, `_` and spaces.
const secretKeyFragments = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'credential',
  'cookie',
  'privatekey',
];

function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_\s]/g, '');
  if (secretKeyFragments.some((f) => k.includes(f))) return true;
  // `key`, `apikey`, `accesskey`, `secretkey`, `dockerkey`... but not `keys` or `keyname`.
  return k === 'key' || k.endsWith('key');
}

const valuePatterns: readonly RegExp[] = [
  // PEM private keys, whole block.
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  // Authorization schemes followed by a credential.
  /\b(?:Bearer|Basic|AWS4-HMAC-SHA256)\s+[A-Za-z0-9\-._~+/=,:]+/gi,
  // JSON web tokens.
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  // AWS access key ids (long-term and temporary) and other IAM unique id prefixes used as keys.
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
];

// 40 characters of base64 alphabet, with at least one upper, one lower and one digit: an AWS secret key.
// Git commit SHAs (lower-case hex) do not match.
const awsSecretPattern =
  /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=]))(?=[^\s]*[A-Z])(?=[^\s]*[a-z])(?=[^\s]*[0-9])[A-Za-z0-9/+=]{40}/g;

/** Masks secrets inside one string: AWS keys, bearer/basic credentials, JWTs, private keys. */
export function maskSecretsInText(text: string): string {
  let out = text;
  for (const pattern of valuePatterns) out = out.replace(pattern, maskedValue);
  return out.replace(awsSecretPattern, maskedValue);
}

/**
 * Returns a copy of any JSON value with secrets masked at any depth: values under secret-looking keys
 * (password, secret, token, key, authorization, credential … case-insensitive) and secret-looking values
 * anywhere (AWS access and secret keys, bearer tokens, private keys). The input is not modified.
 *
 * @example
 * maskSecrets({ user: 'a', auth: { Password: 'x' } }) // → { user: 'a', auth: { Password: '***' } }
 */
export function maskSecrets<T>(value: T): T {
  return maskValue(value, 0) as T;
}

const maxDepth = 64;

function maskValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskSecretsInText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) return maskedValue;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      isSecretKey(key) && v !== null && v !== undefined && v !== '' ? maskedValue : maskValue(v, depth + 1);
  }
  return out;
}
