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

/**
 * The esbuild options every service bundle is made with (scripts/build.ts; the tracing test bundles with the
 * same). `splitting`: each `import()` of the code (database drivers, Redis, the AWS SDK clients, the
 * tracing SDK, a deployer's Kubernetes target…) becomes a file of its own beside main.js, read and parsed
 * only when first imported. Parsing is what costs memory at start: V8 parses a module whole, and its parser
 * needs ~7 bytes of C++ memory per byte of source at once; glibc keeps that memory after the parse (freed,
 * but not returned to the system). One 3–4 MB file held 21–28 MB that way in every service; smaller files
 * parsed one after the other reuse the same freed memory. Measured in docs/benchmark-notes.md (ADR 0028).
 * Chunks sit in the same folder as main.js, so `new URL('./x', import.meta.url)` means the same in each.
 */
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
} as const;

/**
 * Libraries every service loads at start, each given a chunk file of its own (scripts/build.ts adds each as
 * an extra entry point, so esbuild puts the code it shares with main.js in a chunk, and deletes the entry's
 * own output, which nothing loads). Node compiles the files of a module graph one after the other, so the
 * parser's memory is the largest file's rather than the sum: main.js of the gateway went from 1.6 MB to
 * 0.46 MB and its idle RSS from 88–89 to 76–78 MB (ADR 0028). Each weighs 90–210 kB in a bundle.
 */
export const chunkedPackages = [
  'fastify',
  'typebox',
  'kysely',
  'ajv',
  'yaml',
  'fast-json-stringify',
  'prom-client',
  'pino',
] as const;

/**
 * Node's flags for a built service, wherever it runs built: `npm start` (scripts/start.ts), the benchmarks
 * (bench/lib.ts, bench/startup.ts) and the images (`ENV NODE_OPTIONS` of each target in
 * deploy/images/Containerfile, which tests/manifests compares with this list; the Kubernetes Deployments
 * and compose.yaml inherit it from the image). Both are allowed in NODE_OPTIONS.
 * - `--max-semi-space-size=4`: the young generation's two halves grow to 16 MB each by default (Node 20),
 *   which under load is 25–35 MB of RSS for objects that live one request; 4 MB each costs a few per cent
 *   of CPU per request in more frequent scavenges.
 * - `--max-old-space-size=256`: on a large machine V8 sizes the old generation from the machine's memory and
 *   grows it fourfold before collecting; a 256 MB ceiling (ten times what a service keeps live) makes it
 *   grow by a smaller factor, and is the limit a container's memory limit must leave room for.
 * Measured in docs/benchmark-notes.md (memory section), decided in ADR 0028.
 */
export const serviceNodeOptions = ['--max-semi-space-size=4', '--max-old-space-size=256'] as const;

/**
 * Environment every built service runs with, in the same places as `serviceNodeOptions` (the images set it
 * with ENV; tests/manifests compares). A setting the operator's environment already has wins.
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates at once an arena of its own (up to eight
 *   per core), and V8's compiler and GC threads allocate and free megabytes there; memory freed in an arena
 *   stays in the process. Under the mixed load the gateway's, history's and assistant's memory outside the
 *   V8 heap grew 7–8 MB in four minutes with the default, and stayed flat with two arenas. (glibc only:
 *   the images are Debian; musl ignores it.) Measured in docs/benchmark-notes.md, decided in ADR 0032.
 */
export const serviceEnvironment: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

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
