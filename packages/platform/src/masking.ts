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

function judgeSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_\s]/g, '');
  if (secretKeyFragments.some((f) => k.includes(f))) return true;
  // `key`, `apikey`, `accesskey`, `secretkey`, `dockerkey`... but not `keys` or `keyname`.
  return k === 'key' || k.endsWith('key');
}

// Object keys repeat (a batch of 1,000 events has the same few): their verdicts are kept, bounded.
const secretKeyVerdicts = new Map<string, boolean>();
const maxKeptVerdicts = 4096;
const maxKeptKeyLength = 64;

function isSecretKey(key: string): boolean {
  let verdict = secretKeyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = judgeSecretKey(key);
    if (key.length <= maxKeptKeyLength) {
      if (secretKeyVerdicts.size >= maxKeptVerdicts) secretKeyVerdicts.clear();
      secretKeyVerdicts.set(key, verdict);
    }
  }
  return verdict;
}

const valuePatterns: readonly RegExp[] = [
  // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED …), whole block; an unterminated block to the end.
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  // Authorization schemes followed by a credential.
  /\b(?:Bearer|Basic|AWS4-HMAC-SHA256)\s+[A-Za-z0-9\-._~+/=,:]+/gi,
  // JSON web tokens.
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  // AWS access key ids (long-term and temporary) and other IAM unique id prefixes used as keys.
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  // AWS session tokens: base64 of a serialised token, recognisable by its first bytes.
  /(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]{20,}/g,
  // GitHub and Slack tokens.
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}|\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
];

// Runs of [A-Za-z0-9/+] (with any base64 padding): a run of exactly 40 that mixes upper case, lower case
// and digits is an AWS secret access key (checked in the replacer). Whatever precedes it, `=` and `:`
// included, so `aws_secret_access_key=…` and `Values=…` are caught; git SHAs (lower-case hex) and padded
// base64 are not. Whole runs, not a look-behind at every position: twice as fast on CLI output.
const base64Run = /[A-Za-z0-9/+]+=*/g;

function maskAwsSecret(run: string): string {
  return run.length === 40 && /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) ? maskedValue : run;
}

// Credentials in URLs: scheme://user:password@host (also redis://:password@host).
const urlCredentials = /\b([a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@?#]*:)[^\s@/?#]+(?=@)/gi;

// A value after a name: a JSON string, an escaped JSON string (JSON inside a JSON string), a single-quoted
// string, or a bare word up to a separator.
const valueSource = String.raw`("(?:[^"\\\n]|\\.)*"|\\"(?:[^"\\\n]|\\[^"])*\\"|'[^'\n]*'|[^\s"'\\,;&<>{}[\]]+)`;
// Preselects names holding a fragment (a look-ahead, which never backtracks); `isSecretTextName` decides.
// The name itself is one greedy run: a fragment-in-the-middle pattern backtracked quadratically
// (170 s on "password" × 100,000). The look-behind anchors a name at the start of a word, so a long run
// of letters costs one attempt rather than one per character (`\b`, then the replacer skips a name
// that continues a word); a name right after `:` or `/` is part of an ARN or a path
// (`arn:aws:secretsmanager:…:secret:prod/db`), not a name.
const nameSource = String.raw`\b(?=[A-Za-z0-9_.-]*?(?:pass|secret|token|credential|key|auth|signature|cookie))([A-Za-z0-9_.-]+)`;
/*
 * `name=value`, `name: value`, `"name": "value"`, `\"name\":\"value\"` and `X-Amz-Signature=…` in query
 * strings, where the name looks secret.
 */
const namedValue = new RegExp(`${nameSource}(\\\\?["']?)(\\s*[:=]\\s*)${valueSource}`, 'gi');
// AWS CLI shorthand naming a parameter and its value: `ParameterKey=DbPassword,ParameterValue=…`,
// `Name=api_token,Values=…`, `Key=password,Value=…`.
const shorthandPair =
  /\b((?:Name|Key|ParameterKey)=)([^,\s]+)(,(?:Values?|ParameterValue)=)([^\s,]+(?:,(?![A-Za-z]+=)[^\s,]+)*)/g;
// CLI options: `--secret-string value`, `--password=value`.
const cliOption = new RegExp(`(?<![A-Za-z0-9_-])--([A-Za-z0-9-]+)()(=|\\s+)${valueSource}`, 'g');

// Names whose value is secret in free text. Narrower than object keys: an S3 listing's `"Key":
// "photos/a.jpg"` or Secrets Manager's `"SecretId"` must stay readable.
const secretNameFragments = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'credential',
  'privatekey',
  'apikey',
  'accesskey',
  'authkey',
  'sessionkey',
  'authorization',
  'signature',
  'cookie',
];
// Names that contain a fragment but describe the secret (its id, name, age …) or are not secrets at all.
const describingSuffix =
  /(?:id|ids|arn|arns|name|names|type|types|url|uri|endpoint|count|length|expiration|expiry|expires|date|time|version|versions|status|policy|enabled|required|used|lastused|changed|rotation|tokens|list|size|format|algorithm|location|path|file|filter|filters|prefix|header|stdin)$/;
const notSecretNames = new Set([
  'nexttoken',
  'startingtoken',
  'continuationtoken',
  'clienttoken',
  'secretsmanager',
]);
const secretNames = new Set(['pass', 'auth', 'customerkey', 'ssecustomerkey']);

function isSecretTextName(name: string): boolean {
  const k = name.toLowerCase().replace(/[-_.\s]/g, '');
  if (notSecretNames.has(k) || describingSuffix.test(k)) return false;
  return secretNames.has(k) || secretNameFragments.some((f) => k.includes(f));
}

function maskNamedValue(
  whole: string,
  name: string,
  quote: string,
  separator: string,
  value: string,
  offset: number,
  text: string,
): string {
  if (/[A-Za-z0-9_.:/-]/.test(text.charAt(offset - 1)) || !isSecretTextName(name)) return whole;
  // A secret-looking name whose value is plainly not a secret (a flag) keeps its value.
  if (/^(?:true|false|null|none|yes|no)$/i.test(value)) return whole;
  const open = value.startsWith('\\"')
    ? '\\"'
    : value.startsWith('"')
      ? '"'
      : value.startsWith("'")
        ? "'"
        : '';
  const masked = `${open}${maskedValue}${open}`;
  return `${whole.slice(0, whole.length - value.length - separator.length - quote.length - name.length)}${name}${quote}${separator}${masked}`;
}

/**
 * Masks secrets inside one string: AWS access keys, secret keys and session tokens, bearer/basic
 * credentials, JWTs, private keys, passwords in URLs, and values after a secret-looking name
 * (`password=…`, `"token": "…"`, `--secret-string …`).
 *
 * @example
 * maskSecretsInText('aws_secret_access_key=wJalr… db=postgres://app:hunter2@db/x')
 * // → 'aws_secret_access_key=*** db=postgres://app:***@db/x'
 */
export function maskSecretsInText(text: string): string {
  // Nothing shorter can hold a masked secret ("pass=1234" is the shortest named one); most strings in an
  // audit event (regions, ids, status words) end here.
  if (text.length < 8) return text;
  let out = text;
  for (const pattern of valuePatterns) out = out.replace(pattern, maskedValue);
  // Cheap gates keep the rarer patterns off strings that cannot match them.
  if (out.includes('://')) out = out.replace(urlCredentials, `$1${maskedValue}`);
  if (out.includes('=') || out.includes(':')) {
    out = out.replace(namedValue, maskNamedValue);
    out = out.replace(shorthandPair, (whole: string, nameKey: string, name: string, valueKey: string) =>
      isSecretTextName(name) ? `${nameKey}${name}${valueKey}${maskedValue}` : whole,
    );
  }
  if (out.includes('--')) {
    out = out.replace(
      cliOption,
      (
        whole: string,
        name: string,
        quote: string,
        sep: string,
        value: string,
        offset: number,
        all: string,
      ) => (value.startsWith('--') ? whole : maskNamedValue(whole, name, quote, sep, value, offset, all)),
    );
  }
  return out.length >= 40 ? out.replace(base64Run, maskAwsSecret) : out;
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
