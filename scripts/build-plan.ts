/**
 * What `scripts/build.ts` bundles for each service: the packages left outside the bundle and the data files
 * the services read beside their code. Shared by the build, `npm start` and the image build.
 */
export const serviceNames = ['gateway', 'assistant', 'deployer', 'history', 'monitor'] as const;
export type ServiceName = (typeof serviceNames)[number];

/**
 * Left out of every bundle: better-sqlite3 loads a native addon; @fastify/swagger-ui serves the files of its
 * own installed folder; pg-native is pg's optional native driver, never installed (pg only requires it when
 * asked to).
 */
export const externalPackages = ['better-sqlite3', '@fastify/swagger-ui', 'pg-native'];

/** What every service loads from node_modules at run time. */
const sharedRuntimeModules = ['better-sqlite3', '@fastify/swagger-ui'];

export interface ServicePlan {
  /** Extra packages this service keeps outside its bundle (reason beside each). */
  readonly external: readonly string[];
  /** Installed packages the bundle loads at run time: copied into dist/node_modules by `--standalone`. */
  readonly runtimeModules: readonly string[];
  /** Files under src/ the service reads beside its code (`new URL('./x', import.meta.url)`). */
  readonly dataFiles: readonly string[];
  /** Further programs bundled on their own: `dist/<file>` from `src/<entry>`. */
  readonly extraEntries?: Readonly<Record<string, string>>;
}

export const buildPlan: Record<ServiceName, ServicePlan> = {
  gateway: { external: [], runtimeModules: sharedRuntimeModules, dataFiles: [] },
  assistant: {
    external: [],
    runtimeModules: sharedRuntimeModules,
    // The built-in rules' cases, the AWS model index the planner reads, the warm executor's worker script.
    dataFiles: [
      'planning/builtin-planner.cases.json',
      'aws-models/index/aws-models.idx',
      'aws-cli/warm-worker.py',
    ],
  },
  deployer: {
    // The Kubernetes client stays outside the bundle; the manifest validator (@ashapp/kube-schemas) loads
    // one kubernetes-models module per apiVersion/kind with require at run time, so the image needs it.
    external: ['@kubernetes/client-node', 'kubernetes-models'],
    runtimeModules: [...sharedRuntimeModules, '@kubernetes/client-node', 'kubernetes-models'],
    dataFiles: ['python-check/flask_check.py'],
    // What a build Job's containers run (ADR 0027): node built-ins only, nothing of the service.
    extraEntries: { 'build-job.js': 'build-job/main.ts' },
  },
  history: { external: [], runtimeModules: sharedRuntimeModules, dataFiles: [] },
  monitor: { external: [], runtimeModules: sharedRuntimeModules, dataFiles: [] },
};
