import type { Role } from '@ashapp/platform';

/** `admin` for listed ARNs or account ids, `user` for everyone else (every signed-in identity is a user). */
export function resolveRoles(
  caller: { arn: string; account: string },
  admins: { arns: readonly string[]; accounts: readonly string[] },
): Role[] {
  const isAdmin = admins.arns.includes(caller.arn) || admins.accounts.includes(caller.account);
  return isAdmin ? ['user', 'admin'] : ['user'];
}
