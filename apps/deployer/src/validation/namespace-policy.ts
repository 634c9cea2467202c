import { createHash } from 'node:crypto';
import { isAdmin, NotAllowedError, type Identity } from '@ashapp/platform';
import { validateNamespace } from './inputs.ts';

/**
 * Which namespaces a caller may deploy into. By default every user has one namespace of their own, derived
 * from their user id (`u-<readable>-<hash>`: the hash of the exact id makes it injective, so two users never
 * share one); the operator may add a shared set (DEPLOYER_NAMESPACES) or turn the per-user ones off.
 * `kube-system`, `kube-public`, `kube-node-lease` and the platform's own namespace are never allowed.
 */
export interface NamespacePolicy {
  /** The namespace a request without one goes to. */
  defaultFor(caller: Identity): string;
  /** Namespaces the caller may use, their own first. */
  allowedFor(caller: Identity): string[];
  /**
   * The requested namespace (or the caller's default when absent), checked: 400 when it is not a namespace
   * name, 403 naming the allowed ones when the caller may not use it.
   */
  resolve(caller: Identity, value: unknown, field?: string): string;
}

export interface NamespacePolicyOptions {
  perUser: boolean;
  shared: readonly string[];
  /** The platform's own namespace. */
  platform: string;
}

const reserved = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
const userNamespacePattern = /^u-[a-z0-9-]*-[0-9a-f]{12}$/;

/** `u-<readable part of the user id>-<12 hex of its SHA-256>`, a DNS-1123 label of at most 55 characters. */
export function readUserNamespace(userId: string): string {
  const hash = createHash('sha256').update(`namespace\u0000${userId}`).digest('hex').slice(0, 12);
  // The readable part: the last segment of an ARN (`user/alice` → alice, `assumed-role/Role/alice` → alice).
  const tail = userId.split(/[/:]/).filter(Boolean).at(-1) ?? '';
  const readable = tail
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return readable ? `u-${readable}-${hash}` : `u-${hash}`;
}

export function createNamespacePolicy(options: NamespacePolicyOptions): NamespacePolicy {
  const forbidden = (namespace: string) => reserved.has(namespace) || namespace === options.platform;

  function allowedFor(caller: Identity): string[] {
    const own = options.perUser ? [readUserNamespace(caller.userId)] : [];
    return [...own, ...options.shared.filter((n) => !own.includes(n))];
  }

  return {
    defaultFor: (caller) => allowedFor(caller)[0]!,
    allowedFor,
    resolve(caller, value, field = 'namespace') {
      if (value === undefined || value === null || value === '') return allowedFor(caller)[0]!;
      const namespace = validateNamespace(value, field);
      const allowed = allowedFor(caller);
      if (!forbidden(namespace)) {
        if (allowed.includes(namespace)) return namespace;
        // Admins act on users' apps (deploy over, roll back, delete), so they may use any user's namespace.
        if (isAdmin(caller) && options.perUser && userNamespacePattern.test(namespace)) return namespace;
      }
      throw new NotAllowedError(
        `${field}: ${namespace} is not a namespace you may deploy into; allowed: ${allowed.join(', ')}`,
        {
          field,
          allowed,
        },
      );
    },
  };
}
