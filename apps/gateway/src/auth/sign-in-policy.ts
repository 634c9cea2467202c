import { ConfigError } from '@ashapp/platform';

/**
 * Who may sign in. STS GetCallerIdentity tells us the caller's account id and ARN (and unique user id),
 * nothing more: an AWS Organizations id is not part of its answer, so the policy is on accounts and ARNs.
 */
export interface SignInPolicy {
  /** True when no allow-list is configured: any identity STS accepts may sign in (loopback only). */
  readonly allowsAnyAccount: boolean;
  allows(caller: { arn: string; account: string }): boolean;
}

const accountPattern = /^\d{12}$/;
// arn:partition:service:region:account:resource; `*` matches any run of characters, `?` one character.
const arnPatternShape = /^arn:[a-z*?-]+:(iam|sts|\*):[^:]*:[\d*?]*:.+$/;

function compileArnPattern(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/** Checks the configured lists (throws `ConfigError` naming the bad entry) and builds the policy. */
export function createSignInPolicy(lists: {
  accounts: readonly string[];
  arnPatterns: readonly string[];
  /** Admins named by the operator may always sign in. */
  adminArns?: readonly string[];
  adminAccounts?: readonly string[];
}): SignInPolicy {
  for (const account of lists.accounts) {
    if (!accountPattern.test(account)) {
      throw new ConfigError(`SIGN_IN_ALLOWED_ACCOUNTS: "${account}" is not a 12-digit AWS account id`);
    }
  }
  for (const pattern of lists.arnPatterns) {
    if (!arnPatternShape.test(pattern)) {
      throw new ConfigError(
        `SIGN_IN_ALLOWED_ARNS: "${pattern}" is not an IAM/STS ARN pattern ` +
          '(e.g. arn:aws:iam::111122223333:user/team/* or arn:aws:sts::111122223333:assumed-role/Ops/*)',
      );
    }
  }
  const accounts = new Set([...lists.accounts, ...(lists.adminAccounts ?? [])]);
  const exactArns = new Set(lists.adminArns ?? []);
  const patterns = lists.arnPatterns.map(compileArnPattern);
  const allowsAnyAccount = lists.accounts.length === 0 && lists.arnPatterns.length === 0;
  return {
    allowsAnyAccount,
    allows(caller) {
      if (allowsAnyAccount) return true;
      if (accounts.has(caller.account) || exactArns.has(caller.arn)) return true;
      return patterns.some((p) => p.test(caller.arn));
    },
  };
}

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^127(\.\d{1,3}){3}$/.test(h)) return true;
  return /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}
