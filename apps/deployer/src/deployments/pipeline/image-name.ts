import { readIdentityHash, readLocalName } from '../../targets/resource-names.ts';
import type { DeploymentPlan } from './pipeline-types.ts';

const ecrHost = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const repositoryComponent = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

/**
 * Where the image goes: `<registry>/<user>/<app>:r<revision>-<hash>` (Docker Hub style),
 * `<registry>/<image_name>:<tag>` for a repository source that names one (the user's explicit choice), and
 * a local-only `localhost/ashapp/<namespace>-<app>-<hash>:r<revision>` when no registry is signed in
 * (podman). The hash names the exact (owner, namespace, app) triple, so two apps never share a tag even when
 * their names join to the same text or they push with one registry account. Revision tags keep every
 * revision's image addressable for rollbacks.
 */
export function readImageName(
  plan: Pick<DeploymentPlan, 'row' | 'source' | 'registry'> & { owner: string },
): string {
  const { row, source, registry } = plan;
  const identity = { owner: plan.owner, namespace: row.namespace, appName: row.app_name };
  if (!registry)
    return `localhost/ashapp/${readLocalName(identity)}:${source.type === 'git' && source.tag ? source.tag : `r${row.revision}`}`;
  const tag =
    source.type === 'git' && source.tag ? source.tag : `r${row.revision}-${readIdentityHash(identity)}`;
  if (source.type === 'git' && source.imageName) return `${registry.registry}/${source.imageName}:${tag}`;
  const user = registry.credentials.username.toLowerCase();
  if (ecrHost.test(registry.registry) || !repositoryComponent.test(user)) {
    return `${registry.registry}/${row.app_name}:${tag}`;
  }
  return `${registry.registry}/${user}/${row.app_name}:${tag}`;
}
