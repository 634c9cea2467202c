import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;
const apps = readdirSync(path.join(root, 'apps'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
// A service is an app with the config → app → main layout (the web app is a Vite bundle, not a service).
const services = apps.filter((app) => existsSync(path.join(root, 'apps', app, 'src', 'main.ts')));

const testFiles = ['**/*.test.ts', '**/*.test.tsx', 'apps/*/test/**', 'tests/**'];

// config.ts should import only the platform kit; these three still take a default, a type or a parser
// from one of their features (to move into config.ts or the kit, which the features then import).
const knownConfigImports = [
  'apps/assistant/src/aws-cli/cli-executor.ts',
  'apps/assistant/src/aws-cli/select-executor.ts',
  'apps/assistant/src/safety/safety-rules.ts',
  'apps/deployer/src/build/dockerfile.ts',
  'apps/deployer/src/build/buildah-builder.ts',
  'apps/deployer/src/sandbox/build-sandbox.ts',
  'apps/deployer/src/sandbox/network-policy.ts',
  'apps/gateway/src/auth/sign-in-policy.ts',
];

/** The import graph: apps are independent, packages sit below apps, a service's layers point down. */
function importGraphZones({ layers, allowCrossApp = [] }) {
  const zones = [
    ...apps.map((app) => ({
      target: `apps/${app}`,
      from: 'apps',
      except: [`./${app}`, ...allowCrossApp],
      message: 'An app never imports another app: share code through a package under packages/.',
    })),
    { target: 'packages', from: 'apps', message: 'Packages sit below the apps and never import one.' },
  ];
  if (!layers) return zones;
  // Within a service: kit → config.ts → features and shared modules → app.ts → main.ts.
  const layerZones = services.flatMap((service) => {
    const src = `apps/${service}/src`;
    return [
      {
        target: src,
        from: `${src}/main.ts`,
        message: 'main.ts is the top of a service: nothing imports it.',
      },
      {
        target: [`${src}/!(app|main).ts`, `${src}/*/**`],
        from: [`${src}/app.ts`],
        message: 'app.ts wires the features: a feature or shared module never imports it.',
      },
      {
        target: `${src}/config.ts`,
        from: [`${src}/**`],
        except: knownConfigImports.map((file) => `**/${file}`),
        message: 'config.ts reads configuration and imports nothing of its app (the platform kit only).',
      },
    ];
  });
  return [...zones, ...layerZones];
}

function importGraphRule(options) {
  return ['error', { basePath: root, zones: importGraphZones(options) }];
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      // Type-aware rules read the root tsconfig's program; the three files outside it get a default one.
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            'eslint.config.js',
            'apps/web/vite.config.ts',
            'deploy/images/healthcheck.mjs',
          ],
        },
        tsconfigRootDir: root,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Imports carry their extension, so Node's own resolution finds every file; no-cycle parses .ts too.
      'import-x/resolver-next': [createNodeResolver()],
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // No fire-and-forget promises. node:test's test()/describe() promises are awaited by the runner
      // itself; a subtest started with t.test() is not in this list and must be awaited.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Every workspace declares what it imports, its own workspace packages and type-only imports
      // included; the nearest package.json is the one that must list it. Development dependencies serve
      // tests, test support, scripts and benchmarks only.
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          includeInternal: true,
          includeTypes: true,
          devDependencies: [
            ...testFiles,
            'packages/platform/src/testing/**',
            'scripts/**',
            'bench/**',
            '*.js',
            'apps/web/vite.config.ts',
          ],
        },
      ],
      'import-x/no-restricted-paths': importGraphRule({ layers: true }),
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // A test sits above its service's layers (it may build the app from app.ts), never beside another app.
    files: testFiles,
    rules: { 'import-x/no-restricted-paths': importGraphRule({ layers: false }) },
  },
  {
    files: ['scripts/**', 'bench/**', '**/*.test.ts', '**/test/**'],
    rules: { 'no-console': 'off' },
  },
);
