import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  readBaseServiceConfig,
  readEnv,
  readOrCreateSecretFile,
  secret,
  type BaseServiceConfig,
  type Env,
} from '@ashapp/platform';
import { Type } from 'typebox';
import { defaultBaseImage } from './build/dockerfile.ts';
import type { ContainerStorage } from './build/buildah-builder.ts';
import type { SandboxLimits } from './sandbox/build-sandbox.ts';
import { parseAllowedCidrs } from './sandbox/network-policy.ts';

export interface NamespaceSettings {
  /** Each user gets their own namespace, derived injectively from the user id (see namespace-policy.ts). */
  readonly perUser: boolean;
  /** Namespaces every user may deploy into (the operator's list). */
  readonly shared: readonly string[];
  /** The namespace the platform itself runs in: never a deploy target. */
  readonly platform: string;
}

/** Namespaces no user app may ever go into, whatever the operator lists. */
export const reservedNamespaces = Object.freeze(['kube-system', 'kube-public', 'kube-node-lease']);

export type BuilderChoice = 'buildah' | 'docker' | 'kubernetes-job' | 'auto';

/** Where and how build Jobs run (the shape build/build-job-spec.ts renders them from). */
export interface BuildJobConfig {
  readonly namespace: string;
  readonly image: string;
  readonly cpu: number;
  readonly memoryBytes: number;
  readonly ephemeralStorageBytes: number;
  readonly hostUsers: boolean;
  readonly ttlSecondsAfterFinished: number;
}
export type TargetChoice = 'kubernetes' | 'podman';

export interface DeployerConfig extends BaseServiceConfig {
  readonly builder: BuilderChoice;
  /** `DEPLOYER_BUILDER=kubernetes-job`: where and how build Jobs run (ADR 0027); undefined otherwise. */
  readonly buildJob: BuildJobConfig | undefined;
  /** Resolved: `auto` becomes kubernetes when a kubeconfig or an in-cluster service account is present. */
  readonly target: TargetChoice;
  /** Path of the kubeconfig, or undefined for the in-cluster service account (kubernetes target only). */
  readonly kubeconfig: string | undefined;
  /** Host shown in the URLs of apps run by podman; unset: the host the user reached the gateway by. */
  readonly publicHost?: string;
  /** Address podman publishes app ports on (loopback by default: nothing is exposed unless chosen). */
  readonly publishAddress?: string;
  readonly baseImage: string;
  /** The base image already carries Flask and gunicorn (a distribution-packaged image): no pip at build. */
  readonly baseImageHasRuntime: boolean;
  readonly insecureRegistries: readonly string[];
  /** AES-256-GCM key sealing registry credentials at rest. Secret. */
  readonly encryptionKey: Buffer;
  readonly allowLocalGit: boolean;
  readonly containerStorage: ContainerStorage | undefined;
  /** Where the podman target keeps its per-app state and build contexts are written. */
  readonly workDir: string;
  readonly rolloutTimeoutMs: number;
  readonly buildTimeoutMs: number;
  /** Monitoring: how long the new version must stay ready before it is Stable. */
  readonly stabilityWindowMs: number;
  /** Whether the Testing step GETs the URL on kubernetes (off where node addresses are unreachable). */
  readonly kubernetesHttpCheck: boolean;
  readonly registryLoginTtlMs: number;
  /** ECR API endpoint override (VPC endpoint or a stand-in). */
  readonly ecrEndpoint: string | undefined;
  readonly python: string;
  readonly sseHeartbeatMs: number;
  /**
   * A running deployment's lease: the replica running it renews it; when it lapses (the replica died),
   * another replica ends or takes over the deployment.
   */
  readonly leaseMs: number;
  /** How often an open progress stream reads new events from the database (events of other replicas). */
  readonly streamPollMs: number;
  /** Namespaces users may deploy into: one per user (derived from the user id) and/or a shared set. */
  readonly namespaces: NamespaceSettings;
  /**
   * `required`: builds and clones run only in the build sandbox (when it is missing, they fail naming what
   * to install); `off`: unsandboxed, the operator's explicit choice for a trusted single-user machine.
   */
  readonly buildSandbox: 'required' | 'off';
  /** Private/link-local CIDRs builds and clones may reach anyway (a proxy, a package mirror, a Git server). */
  readonly buildAllowedCidrs: readonly string[];
  /** System user whose /etc/subuid and /etc/subgid ranges root inside a build maps to. */
  readonly buildUser: string;
  /** The build user's container storage, home and per-build folders (its parents must be traversable). */
  readonly buildStorageDir: string;
  readonly buildLimits: SandboxLimits;
  /** Environment of every child (buildah, podman, git, python): nothing else of ours reaches them. */
  readonly childEnv: Readonly<Record<string, string>>;
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const inClusterTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const DeployerEnv = Type.Object({
  DEPLOYER_BUILDER: Type.Union(
    [Type.Literal('buildah'), Type.Literal('docker'), Type.Literal('kubernetes-job'), Type.Literal('auto')],
    { default: 'auto' },
  ),
  DEPLOYER_BUILD_JOB_NAMESPACE: Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    default: 'ashapp-builds',
  }),
  /** The builder image; the manifests set it to the deployer's own image (kustomize replacement). */
  DEPLOYER_BUILD_JOB_IMAGE: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
  /** `false` (default): `hostUsers: false`, root in the build pod is unprivileged on the node (Kubernetes ≥ 1.33). */
  DEPLOYER_BUILD_JOB_HOST_USERS: Type.Boolean({ default: false }),
  DEPLOYER_BUILD_JOB_TTL_SECONDS: Type.Integer({ minimum: 0, maximum: 604_800, default: 600 }),
  DEPLOYER_TARGET: Type.Union([Type.Literal('kubernetes'), Type.Literal('podman'), Type.Literal('auto')], {
    default: 'auto',
  }),
  DEPLOYER_BASE_IMAGE: Type.String({ minLength: 1, maxLength: 400, default: defaultBaseImage }),
  DEPLOYER_BASE_IMAGE_HAS_RUNTIME: Type.Boolean({ default: false }),
  DEPLOYER_INSECURE_REGISTRIES: Type.String({ default: '' }),
  KUBECONFIG: Type.Optional(Type.String({ minLength: 1 })),
  KUBERNETES_SERVICE_HOST: Type.Optional(Type.String()),
  DEPLOYER_ENCRYPTION_KEY: Type.Optional(secret(Type.String({ minLength: 32 }))),
  DEPLOYER_ALLOW_LOCAL_GIT: Type.Boolean({ default: false }),
  DEPLOYER_CONTAINERS_ROOT: Type.Optional(Type.String({ minLength: 1 })),
  DEPLOYER_CONTAINERS_RUNROOT: Type.Optional(Type.String({ minLength: 1 })),
  DEPLOYER_WORK_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DEPLOYER_ROLLOUT_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 180_000 }),
  DEPLOYER_BUILD_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 7_200_000, default: 900_000 }),
  DEPLOYER_STABILITY_WINDOW_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
  DEPLOYER_KUBERNETES_HTTP_CHECK: Type.Boolean({ default: true }),
  DEPLOYER_REGISTRY_LOGIN_TTL_MS: Type.Integer({ minimum: 60_000, default: 12 * 3_600_000 }),
  DEPLOYER_ECR_ENDPOINT: Type.Optional(Type.String({ minLength: 1 })),
  DEPLOYER_PUBLIC_HOST: Type.Optional(
    Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$|^\\[[0-9A-Fa-f:.]+\\]$' }),
  ),
  DEPLOYER_PUBLISH_ADDRESS: Type.String({ minLength: 2, maxLength: 64, default: '127.0.0.1' }),
  DEPLOYER_PYTHON: Type.String({ minLength: 1, default: '/usr/bin/python3' }),
  DEPLOYER_SSE_HEARTBEAT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 15_000 }),
  DEPLOYER_LEASE_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
  DEPLOYER_STREAM_POLL_MS: Type.Integer({ minimum: 50, maximum: 10_000, default: 500 }),
  DEPLOYER_NAMESPACES: Type.String({ default: '' }),
  DEPLOYER_USER_NAMESPACES: Type.Boolean({ default: true }),
  DEPLOYER_PLATFORM_NAMESPACE: Type.String({ minLength: 1, maxLength: 63, default: 'ashapp' }),
  DEPLOYER_BUILD_SANDBOX: Type.Union([Type.Literal('required'), Type.Literal('off')], {
    default: 'required',
  }),
  DEPLOYER_BUILD_ALLOW_CIDRS: Type.String({ default: '' }),
  DEPLOYER_BUILD_USER: Type.String({
    minLength: 1,
    maxLength: 32,
    pattern: '^[a-z_][a-z0-9_-]*$',
    default: 'ashapp-build',
  }),
  DEPLOYER_BUILD_STORAGE_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DEPLOYER_BUILD_MEMORY_MB: Type.Integer({ minimum: 128, maximum: 262_144, default: 2048 }),
  DEPLOYER_BUILD_CPUS: Type.Number({ minimum: 0.1, maximum: 256, default: 1 }),
  DEPLOYER_BUILD_PIDS: Type.Integer({ minimum: 32, maximum: 1_000_000, default: 1024 }),
  DEPLOYER_BUILD_MAX_FILE_MB: Type.Integer({ minimum: 1, maximum: 1_048_576, default: 4096 }),
  /** Everything one build may write (a loop-mounted filesystem of this size); 0 leaves it unbounded. */
  DEPLOYER_BUILD_MAX_DISK_MB: Type.Integer({ minimum: 0, maximum: 16_777_216, default: 8192 }),
  CONTAINERS_CONF: Type.String({ minLength: 1, default: 'deploy/podman/containers.conf' }),
  PATH: Type.String({ default: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }),
  HOME: Type.Optional(Type.String()),
});

/** 32 bytes from base64/base64url (43–44 characters) or hex (64 characters). */
function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) {
    throw new ConfigError(
      'invalid configuration: DEPLOYER_ENCRYPTION_KEY must encode 32 bytes (base64 or hex)',
    );
  }
  return key;
}

export function readDeployerConfig(env: Env): DeployerConfig {
  const base = readBaseServiceConfig('deployer', env);
  const own = readEnv(DeployerEnv, env);
  const inCluster = Boolean(own.KUBERNETES_SERVICE_HOST) && existsSync(inClusterTokenPath);
  const target: TargetChoice =
    own.DEPLOYER_TARGET === 'auto'
      ? own.KUBECONFIG || inCluster
        ? 'kubernetes'
        : 'podman'
      : own.DEPLOYER_TARGET;
  if (target === 'kubernetes' && !own.KUBECONFIG && !inCluster) {
    throw new ConfigError(
      'invalid configuration: DEPLOYER_TARGET=kubernetes needs KUBECONFIG or an in-cluster service account',
    );
  }
  if (own.DEPLOYER_BUILDER === 'kubernetes-job') {
    if (target !== 'kubernetes') {
      throw new ConfigError(
        'invalid configuration: DEPLOYER_BUILDER=kubernetes-job needs the kubernetes target (KUBECONFIG or an in-cluster service account)',
      );
    }
    if (!own.DEPLOYER_BUILD_JOB_IMAGE) {
      throw new ConfigError(
        "invalid configuration: DEPLOYER_BUILDER=kubernetes-job needs DEPLOYER_BUILD_JOB_IMAGE (the deployer's own image)",
      );
    }
  }
  if (Boolean(own.DEPLOYER_CONTAINERS_ROOT) !== Boolean(own.DEPLOYER_CONTAINERS_RUNROOT)) {
    throw new ConfigError(
      'invalid configuration: set both DEPLOYER_CONTAINERS_ROOT and DEPLOYER_CONTAINERS_RUNROOT, or neither',
    );
  }
  const shared = [
    ...new Set(
      own.DEPLOYER_NAMESPACES.split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
  for (const namespace of shared) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
      throw new ConfigError(
        `invalid configuration: DEPLOYER_NAMESPACES: ${namespace} is not a namespace name (DNS-1123 label)`,
      );
    }
    if (reservedNamespaces.includes(namespace) || namespace === own.DEPLOYER_PLATFORM_NAMESPACE) {
      throw new ConfigError(
        `invalid configuration: DEPLOYER_NAMESPACES: ${namespace} is reserved for the cluster or the platform`,
      );
    }
  }
  if (!own.DEPLOYER_USER_NAMESPACES && shared.length === 0) {
    throw new ConfigError(
      'invalid configuration: DEPLOYER_USER_NAMESPACES=false needs DEPLOYER_NAMESPACES (no namespace would be allowed)',
    );
  }
  let buildAllowedCidrs: string[];
  try {
    buildAllowedCidrs = parseAllowedCidrs(own.DEPLOYER_BUILD_ALLOW_CIDRS);
  } catch (err) {
    throw new ConfigError(`invalid configuration: DEPLOYER_BUILD_ALLOW_CIDRS: ${(err as Error).message}`);
  }
  const workDir = path.resolve(own.DEPLOYER_WORK_DIR ?? path.join(base.dataDir, 'deployer-work'));
  if (isIP(own.DEPLOYER_PUBLISH_ADDRESS) === 0) {
    throw new ConfigError(
      'invalid configuration: DEPLOYER_PUBLISH_ADDRESS must be an IP address (127.0.0.1, 0.0.0.0, a LAN address)',
    );
  }
  const containersConf = path.resolve(repoRoot, own.CONTAINERS_CONF);
  const childEnv: Record<string, string> = {
    PATH: own.PATH,
    HOME: own.HOME ?? base.dataDir,
    CONTAINERS_CONF: containersConf,
  };
  return Object.freeze({
    ...base,
    builder: own.DEPLOYER_BUILDER,
    buildJob:
      own.DEPLOYER_BUILDER === 'kubernetes-job' && own.DEPLOYER_BUILD_JOB_IMAGE
        ? Object.freeze({
            namespace: own.DEPLOYER_BUILD_JOB_NAMESPACE,
            image: own.DEPLOYER_BUILD_JOB_IMAGE,
            cpu: own.DEPLOYER_BUILD_CPUS,
            memoryBytes: own.DEPLOYER_BUILD_MEMORY_MB * 1024 * 1024,
            // A pod's ephemeral storage needs a bound: 0 (unbounded on a host) becomes the default 8 GiB.
            ephemeralStorageBytes: (own.DEPLOYER_BUILD_MAX_DISK_MB || 8192) * 1024 * 1024,
            hostUsers: own.DEPLOYER_BUILD_JOB_HOST_USERS,
            ttlSecondsAfterFinished: own.DEPLOYER_BUILD_JOB_TTL_SECONDS,
          })
        : undefined,
    target,
    kubeconfig: own.KUBECONFIG ? path.resolve(own.KUBECONFIG) : undefined,
    baseImage: own.DEPLOYER_BASE_IMAGE,
    baseImageHasRuntime: own.DEPLOYER_BASE_IMAGE_HAS_RUNTIME,
    insecureRegistries: Object.freeze(
      own.DEPLOYER_INSECURE_REGISTRIES.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
    encryptionKey: decodeKey(
      own.DEPLOYER_ENCRYPTION_KEY ?? readOrCreateSecretFile(base.dataDir, 'deployer-encryption-key'),
    ),
    allowLocalGit: own.DEPLOYER_ALLOW_LOCAL_GIT,
    containerStorage:
      own.DEPLOYER_CONTAINERS_ROOT && own.DEPLOYER_CONTAINERS_RUNROOT
        ? {
            root: path.resolve(own.DEPLOYER_CONTAINERS_ROOT),
            runroot: path.resolve(own.DEPLOYER_CONTAINERS_RUNROOT),
          }
        : undefined,
    workDir,
    rolloutTimeoutMs: own.DEPLOYER_ROLLOUT_TIMEOUT_MS,
    buildTimeoutMs: own.DEPLOYER_BUILD_TIMEOUT_MS,
    stabilityWindowMs: own.DEPLOYER_STABILITY_WINDOW_MS,
    kubernetesHttpCheck: own.DEPLOYER_KUBERNETES_HTTP_CHECK,
    registryLoginTtlMs: own.DEPLOYER_REGISTRY_LOGIN_TTL_MS,
    ecrEndpoint: own.DEPLOYER_ECR_ENDPOINT,
    python: own.DEPLOYER_PYTHON,
    sseHeartbeatMs: own.DEPLOYER_SSE_HEARTBEAT_MS,
    leaseMs: own.DEPLOYER_LEASE_MS,
    streamPollMs: own.DEPLOYER_STREAM_POLL_MS,
    namespaces: Object.freeze({
      perUser: own.DEPLOYER_USER_NAMESPACES,
      shared: Object.freeze(shared),
      platform: own.DEPLOYER_PLATFORM_NAMESPACE,
    }),
    buildSandbox: own.DEPLOYER_BUILD_SANDBOX,
    buildAllowedCidrs: Object.freeze(buildAllowedCidrs),
    buildUser: own.DEPLOYER_BUILD_USER,
    buildStorageDir: path.resolve(own.DEPLOYER_BUILD_STORAGE_DIR ?? path.join(workDir, 'build-sandbox')),
    buildLimits: Object.freeze({
      memoryBytes: own.DEPLOYER_BUILD_MEMORY_MB * 1024 * 1024,
      cpus: own.DEPLOYER_BUILD_CPUS,
      pids: own.DEPLOYER_BUILD_PIDS,
      maxFileBytes: own.DEPLOYER_BUILD_MAX_FILE_MB * 1024 * 1024,
      maxDiskBytes: own.DEPLOYER_BUILD_MAX_DISK_MB * 1024 * 1024,
    }),
    childEnv: Object.freeze(childEnv),
    ...(own.DEPLOYER_PUBLIC_HOST ? { publicHost: own.DEPLOYER_PUBLIC_HOST.toLowerCase() } : {}),
    publishAddress: own.DEPLOYER_PUBLISH_ADDRESS,
  });
}
