import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * What the shipped files say about how the containers run, read from them so the image test checks the
 * running containers against them: each service's read-only root, tmpfs, capabilities and security options
 * from deploy/compose/compose.yaml (the file podman-compose runs), and each service's uid/gid from its
 * Kubernetes Deployment (which must equal the image's USER).
 */
const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface ContainerSecurity {
  readonly readOnly: boolean;
  readonly tmpfs: readonly string[];
  readonly capDrop: readonly string[];
  readonly capAdd: readonly string[];
  readonly securityOpt: readonly string[];
}

export const composeDir = path.join(repoRoot, 'deploy', 'compose');

/** The compose service's security settings (YAML merge keys resolved). */
export function readComposeSecurity(service: string): ContainerSecurity {
  const compose = rec(
    parseYaml(readFileSync(path.join(composeDir, 'compose.yaml'), 'utf8'), {
      merge: true,
    }),
  );
  const own = rec(rec(compose.services)[service]);
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
  return {
    readOnly: own.read_only === true,
    tmpfs: strings(own.tmpfs),
    capDrop: strings(own.cap_drop),
    capAdd: strings(own.cap_add),
    securityOpt: strings(own.security_opt),
  };
}

/** The settings as `podman run` arguments, for the test's own helper containers. */
export function podmanSecurityArgs(security: ContainerSecurity): string[] {
  return [
    // As podman-compose passes them: podman 4.3 takes compose's `no-new-privileges:true` as it is.
    ...security.securityOpt.flatMap((o) => ['--security-opt', o]),
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

/** Linux capability numbers (linux/capability.h), by the names compose and podman use. */
const capabilityNumbers = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/**
 * The capability set (as /proc/<pid>/status prints it, lower-case hex) a container gets from `cap_drop:
 * [ALL]` plus its `cap_add`. Only that shape is shipped; anything else throws rather than guessing.
 */
export function expectedCapabilityMask(security: ContainerSecurity): string {
  if (security.capDrop.length !== 1 || security.capDrop[0] !== 'ALL')
    throw new Error(`expected cap_drop [ALL], got ${JSON.stringify(security.capDrop)}`);
  let mask = 0n;
  for (const cap of security.capAdd) {
    const n = capabilityNumbers.indexOf(cap.replace(/^CAP_/, ''));
    if (n < 0) throw new Error(`unknown capability ${cap}`);
    mask |= 1n << BigInt(n);
  }
  return mask.toString(16).padStart(16, '0');
}
