import { createHash } from 'node:crypto';
import type { KubeObject } from '../manifests/render-manifests.ts';

/**
 * Names of what the deployer creates outside its database (podman pods and containers, local image names,
 * image tags, state folders) and the ownership metadata it stamps on every object it applies.
 *
 * Names must be injective over (owner, namespace, app): joining namespace and app with a dash is not
 * (`a` + `b-c` and `a-b` + `c` are both `a-b-c`), and that let one user replace and delete another's app.
 * Every derived name therefore ends with a hash of the exact triple; the readable prefix is for people only.
 */
export interface AppIdentity {
  /** The app's owner (user id, e.g. an IAM ARN). */
  owner: string;
  namespace: string;
  appName: string;
}

/** Hex characters of SHA-256 kept in names: 48 bits, far beyond the number of apps one host or cluster holds. */
const hashLength = 12;

/** The longest local name: a DNS-1123 label, so it also fits host names and label values. */
const maxNameLength = 63;

export const ownershipKeys = Object.freeze({
  /** Annotation: the owner's user id exactly. */
  owner: 'ashapp.io/owner',
  /** Annotation: the namespace the deployer was asked for. */
  namespace: 'ashapp.io/namespace',
  /** Annotation: the app name the deployer was asked for. */
  app: 'ashapp.io/app',
  /** Label (selectable): hash of the exact (owner, namespace, app) triple. */
  identity: 'ashapp.io/identity',
  /** Label (selectable): hash of the owner alone. */
  ownerHash: 'ashapp.io/owner-hash',
});

function hash(parts: readonly string[]): string {
  // JSON of an array is an unambiguous encoding of the parts, whatever characters they hold.
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The hash naming one (owner, namespace, app) triple. */
export function readIdentityHash(identity: AppIdentity): string {
  return hash(['app', identity.owner, identity.namespace, identity.appName]).slice(0, hashLength);
}

export function readOwnerHash(owner: string): string {
  return hash(['owner', owner]).slice(0, hashLength);
}

/**
 * `<namespace>-<app>` shortened as needed, then `-<hash>`: a DNS-1123 label of at most 63 characters,
 * also a valid image repository component, podman pod name and folder name.
 */
export function readLocalName(identity: AppIdentity): string {
  const suffix = `-${readIdentityHash(identity)}`;
  const readable = `${identity.namespace}-${identity.appName}`
    .slice(0, maxNameLength - suffix.length)
    .replace(/-+$/, '');
  return `${readable}${suffix}`;
}

/** Labels and annotations saying whose an object is; selectors use the labels, checks the annotations. */
export function readOwnershipMetadata(identity: AppIdentity): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: {
      [ownershipKeys.identity]: readIdentityHash(identity),
      [ownershipKeys.ownerHash]: readOwnerHash(identity.owner),
    },
    annotations: {
      [ownershipKeys.owner]: identity.owner,
      [ownershipKeys.namespace]: identity.namespace,
      [ownershipKeys.app]: identity.appName,
    },
  };
}

/** A copy of the object (and its pod template, if any) carrying the ownership labels and annotations. */
export function stampOwnership(object: KubeObject, identity: AppIdentity): KubeObject {
  const { labels, annotations } = readOwnershipMetadata(identity);
  const stamped = structuredClone(object);
  stamped.metadata.labels = { ...stamped.metadata.labels, ...labels };
  stamped.metadata.annotations = { ...stamped.metadata.annotations, ...annotations };
  const template = (
    stamped.spec as
      | {
          template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
        }
      | undefined
  )?.template;
  if (template) {
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, ...labels },
      annotations: { ...template.metadata?.annotations, ...annotations },
    };
  }
  return stamped;
}

export type Ownership = { kind: 'same' } | { kind: 'legacy' } | { kind: 'foreign'; reason: string };

/**
 * Whose an existing object is, from its own metadata: `same` (this triple), `legacy` (made by ASHapp before
 * objects carried an owner), or `foreign` (another user's, or not made by ASHapp at all).
 */
export function readOwnership(
  metadata:
    | { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined }
    | undefined,
  identity: AppIdentity,
): Ownership {
  const labels = metadata?.labels ?? {};
  const annotations = metadata?.annotations ?? {};
  if (labels['app.kubernetes.io/managed-by'] !== 'ashapp')
    return { kind: 'foreign', reason: 'it exists and is not managed by ASHapp' };
  const owner = annotations[ownershipKeys.owner];
  if (owner === undefined) return { kind: 'legacy' };
  if (
    owner !== identity.owner ||
    annotations[ownershipKeys.namespace] !== identity.namespace ||
    annotations[ownershipKeys.app] !== identity.appName
  ) {
    return { kind: 'foreign', reason: 'it belongs to another user' };
  }
  return { kind: 'same' };
}
