import type * as k8s from '@kubernetes/client-node';

/**
 * The Kubernetes objects of one image build run as a Job (docs/adr/0027-build-jobs.md): a Job in the builds
 * namespace whose pod runs the deployer image's build entry (`build-job.js`) as root with only the
 * capabilities measured for buildah's RUN step, and a Secret with the build context (and, for the push
 * container only, the registry auth file), owned by the Job so garbage collection removes it with the Job.
 */

/**
 * Added to `drop: [ALL]` in both containers; all of them are in Pod Security `baseline`. Measured with the
 * deployer image (ADR 0027): buildah as root, chroot isolation, vfs store, no-new-privileges, read-only
 * root. `deploy/images/build-job-containers.conf` lists the same set as buildah's default for RUN steps
 * (a RUN step asks for capabilities the bounding set must hold, else "error setting capabilities").
 */
export const buildJobCapabilities = Object.freeze([
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'SETFCAP',
  'SETGID',
  'SETUID',
  'SYS_CHROOT',
]);

/** What a Secret may hold in all (its `data` bytes): the API server refuses more (MaxSecretSize, 1 MiB). */
export const maxSecretBytes = 1024 * 1024;

/** Where the entry script finds things inside the pod; the image's paths (deploy/images/Containerfile). */
export const buildJobPaths = Object.freeze({
  work: '/build',
  context: '/run/ashapp/context',
  auth: '/run/ashapp/auth',
  containersConf: '/app/deploy/images/build-job-containers.conf',
  entry: 'apps/deployer/dist/build-job.js',
});

export const buildJobLabels = Object.freeze({
  'app.kubernetes.io/part-of': 'ashapp',
  'app.kubernetes.io/component': 'image-build',
  'app.kubernetes.io/managed-by': 'ashapp-deployer',
});

export interface BuildJobSettings {
  /** Namespace the Jobs run in (Pod Security baseline, egress-only NetworkPolicy): `ashapp-builds`. */
  namespace: string;
  /** The builder image: the deployer's own (buildah, node and the entry script). */
  image: string;
  cpu: number;
  memoryBytes: number;
  /** Everything the build writes (store, layers, context) in the pod's emptyDir. */
  ephemeralStorageBytes: number;
  /** Kubernetes `hostUsers: false` (root in the pod is an unprivileged id on the node), where nodes support it. */
  hostUsers: boolean;
  /** How long a finished Job is kept when the deployer could not delete it (it stopped meanwhile). */
  ttlSecondsAfterFinished: number;
}

export interface BuildJobRequest {
  name: string;
  image: string;
  deadlineSeconds: number;
  /** The base image's registry is one the operator listed as insecure (plain HTTP / unverified TLS). */
  pullInsecure: boolean;
  pushInsecure: boolean;
  hasAuth: boolean;
  /**
   * A git source: cloned by the Job's own `clone` container (nothing packed, the Secret holds only the auth
   * file). The base image's registry is then known only in the pod: `insecureRegistries` go with it.
   */
  git?: { url: string; ref: string; insecureRegistries: readonly string[] };
}

/** The uid of the image's own user (deploy/images/Containerfile `USER 1000:1000`): the clone runs as it. */
export const cloneUser = 1000;

const mib = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024 / 1024))}Mi`;

function containerSecurity(): k8s.V1SecurityContext {
  return {
    runAsUser: 0,
    runAsGroup: 0,
    runAsNonRoot: false,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'], add: [...buildJobCapabilities] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The clone needs no privilege at all: non-root, every capability dropped. */
function cloneSecurity(): k8s.V1SecurityContext {
  return {
    runAsUser: cloneUser,
    runAsGroup: cloneUser,
    runAsNonRoot: true,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The Job, created suspended: its pod starts only once the Secret it mounts exists (see the builder). */
export function renderBuildJob(settings: BuildJobSettings, request: BuildJobRequest): k8s.V1Job {
  const labels = { ...buildJobLabels, 'ashapp.dev/build': request.name };
  const resources: k8s.V1ResourceRequirements = {
    requests: {
      cpu: `${Math.min(250, Math.round(settings.cpu * 1000))}m`,
      memory: mib(settings.memoryBytes),
      'ephemeral-storage': mib(settings.ephemeralStorageBytes),
    },
    limits: {
      cpu: `${Math.round(settings.cpu * 1000)}m`,
      memory: mib(settings.memoryBytes),
      'ephemeral-storage': mib(settings.ephemeralStorageBytes),
    },
  };
  const common = {
    image: settings.image,
    imagePullPolicy: 'IfNotPresent',
    workingDir: '/app',
    securityContext: containerSecurity(),
    resources,
    // A failed step's last lines become the container's termination message; a push writes its digest.
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  const env = (extra: Record<string, string>): k8s.V1EnvVar[] =>
    Object.entries({
      CONTAINERS_CONF: buildJobPaths.containersConf,
      HOME: `${buildJobPaths.work}/home`,
      TMPDIR: `${buildJobPaths.work}/tmp`,
      ASHAPP_BUILD_IMAGE: request.image,
      ...extra,
    }).map(([name, value]) => ({ name, value }));
  const workMount = { name: 'work', mountPath: buildJobPaths.work };
  const { git } = request;
  const cloneContainer: k8s.V1Container[] = git
    ? [
        {
          name: 'clone',
          ...common,
          securityContext: cloneSecurity(),
          args: [buildJobPaths.entry, 'clone'],
          // Not secret: the URL carries no user name or password (the deployer refuses those).
          env: Object.entries({
            HOME: `${buildJobPaths.work}/home`,
            TMPDIR: `${buildJobPaths.work}/tmp`,
            ASHAPP_GIT_URL: git.url,
            ASHAPP_GIT_REF: git.ref,
          }).map(([name, value]) => ({ name, value })),
          volumeMounts: [workMount],
        },
      ]
    : [];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: request.name,
      namespace: settings.namespace,
      labels,
      annotations: { 'ashapp.dev/image': request.image },
    },
    spec: {
      suspend: true,
      backoffLimit: 0,
      activeDeadlineSeconds: request.deadlineSeconds,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          hostUsers: settings.hostUsers,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          // The build cannot read the registry credentials: only the push container mounts them, and it
          // starts after the build container has exited (an init container).
          // A git source is cloned first, without capabilities, into the emptyDir the build reads.
          initContainers: [
            ...cloneContainer,
            {
              name: 'build',
              ...common,
              args: [buildJobPaths.entry, 'build'],
              env: env({
                ASHAPP_BUILD_PULL_TLS_VERIFY: request.pullInsecure ? 'false' : 'true',
                ...(git
                  ? {
                      ASHAPP_BUILD_SOURCE: 'checkout',
                      ASHAPP_BUILD_INSECURE_REGISTRIES: git.insecureRegistries.join(','),
                    }
                  : {}),
              }),
              volumeMounts: git
                ? [workMount]
                : [workMount, { name: 'context', mountPath: buildJobPaths.context, readOnly: true }],
            },
          ],
          containers: [
            {
              name: 'push',
              ...common,
              args: [buildJobPaths.entry, 'push'],
              env: env({ ASHAPP_BUILD_PUSH_TLS_VERIFY: request.pushInsecure ? 'false' : 'true' }),
              volumeMounts: [
                workMount,
                ...(request.hasAuth ? [{ name: 'auth', mountPath: buildJobPaths.auth, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'work', emptyDir: { sizeLimit: mib(settings.ephemeralStorageBytes) } },
            ...(git
              ? []
              : [
                  {
                    name: 'context',
                    secret: {
                      secretName: request.name,
                      defaultMode: 0o400,
                      items: [{ key: 'context.tar.gz', path: 'context.tar.gz' }],
                    },
                  },
                ]),
            ...(request.hasAuth
              ? [
                  {
                    name: 'auth',
                    secret: {
                      secretName: request.name,
                      defaultMode: 0o400,
                      items: [{ key: 'auth.json', path: 'auth.json' }],
                    },
                  },
                ]
              : []),
          ],
        },
      },
    },
  };
}

/** The Secret the Job mounts, owned by the Job (deleted with it by the garbage collector). */
export function renderBuildSecret(
  job: { name: string; namespace: string; uid: string },
  data: { context: Buffer | undefined; authFile: Buffer | undefined },
): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    immutable: true,
    metadata: {
      name: job.name,
      namespace: job.namespace,
      labels: { ...buildJobLabels, 'ashapp.dev/build': job.name },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: job.uid }],
    },
    data: {
      ...(data.context ? { 'context.tar.gz': data.context.toString('base64') } : {}),
      ...(data.authFile ? { 'auth.json': data.authFile.toString('base64') } : {}),
    },
  };
}
