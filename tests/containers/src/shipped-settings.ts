import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * What the shipped files say about how the containers run, read from them so the image test runs the
 * containers exactly so: the deployer's capabilities and security options from deploy/compose/compose.yaml,
 * and each service's uid/gid from its Kubernetes Deployment (which must equal the image's USER).
 */
const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface ContainerSecurity {
  readonly capDrop: readonly string[];
  readonly capAdd: readonly string[];
  readonly securityOpt: readonly string[];
}

/** The compose service's security settings (YAML merge keys resolved) as podman arguments. */
export function readComposeSecurity(service: string): ContainerSecurity {
  const compose = rec(
    parseYaml(readFileSync(path.join(repoRoot, 'deploy', 'compose', 'compose.yaml'), 'utf8'), {
      merge: true,
    }),
  );
  const own = rec(rec(compose.services)[service]);
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  return {
    capDrop: strings(own.cap_drop),
    capAdd: strings(own.cap_add),
    securityOpt: strings(own.security_opt),
  };
}

export function podmanSecurityArgs(security: ContainerSecurity): string[] {
  return [
    // compose writes `no-new-privileges:true`; podman takes `no-new-privileges`.
    ...security.securityOpt.flatMap((o) => [
      '--security-opt',
      o.replace(/^no-new-privileges:true$/, 'no-new-privileges'),
    ]),
    ...security.capDrop.flatMap((c) => ['--cap-drop', c]),
    ...security.capAdd.flatMap((c) => ['--cap-add', c]),
  ];
}

/** `runAsUser:runAsGroup` of a service's Deployment in deploy/kubernetes/base. */
export function readKubernetesUser(service: string): string {
  const file = path.join(repoRoot, 'deploy', 'kubernetes', 'base', 'platform', service, 'deployment.yaml');
  const deployment = rec(parseYaml(readFileSync(file, 'utf8')));
  const podSc = rec(rec(rec(rec(deployment.spec).template).spec).securityContext);
  return `${String(podSc.runAsUser)}:${String(podSc.runAsGroup)}`;
}
