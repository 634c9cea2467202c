import type { IAMClient, Role } from '@aws-sdk/client-iam';
import { commonJsExports } from '@ashapp/platform';

export interface ServiceRoleChoice {
  name: string;
  arn: string;
  description?: string;
}

/** At most this many ListRoles pages (100 roles each) are read: an account with more is rare and slow. */
const maxPages = 10;

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/**
 * Whether a role's trust policy lets CodeBuild assume it: an Allow statement for `sts:AssumeRole` (or
 * `sts:*`, `*`) whose principal names `codebuild.amazonaws.com`. IAM hands the document URL-encoded.
 */
export function trustsCodeBuild(document: string | undefined): boolean {
  if (!document) return false;
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(document.trim().startsWith('{') ? document : decodeURIComponent(document)) as {
      Statement?: unknown;
    };
  } catch {
    return false;
  }
  return asList(policy.Statement).some((raw) => {
    const statement = raw as { Effect?: unknown; Action?: unknown; Principal?: { Service?: unknown } };
    if (statement.Effect !== 'Allow') return false;
    const actions = asList(statement.Action);
    if (!actions.some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*')) return false;
    return asList(statement.Principal?.Service).includes('codebuild.amazonaws.com');
  });
}

/** The account's roles CodeBuild can assume, by name, read with the caller's own credentials. */
export async function listCodeBuildServiceRoles(iam: Pick<IAMClient, 'send'>): Promise<ServiceRoleChoice[]> {
  const { ListRolesCommand } = commonJsExports(await import('@aws-sdk/client-iam'));
  const found: Role[] = [];
  let marker: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await iam.send(
      new ListRolesCommand({ MaxItems: 100, ...(marker ? { Marker: marker } : {}) }),
    );
    found.push(...(result.Roles ?? []).filter((r) => trustsCodeBuild(r.AssumeRolePolicyDocument)));
    if (!result.IsTruncated || !result.Marker) break;
    marker = result.Marker;
  }
  return found
    .filter((r): r is Role & { RoleName: string; Arn: string } => Boolean(r.RoleName && r.Arn))
    .map((r) => ({ name: r.RoleName, arn: r.Arn, ...(r.Description ? { description: r.Description } : {}) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
