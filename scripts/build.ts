/**
 * `npm run build`: bundles each service's `src/main.ts` with esbuild into `apps/<name>/dist/main.js` plus a
 * chunk file per `import()` beside it (the platform kit and the npm libraries inlined, so a service starts without resolving hundreds of files and
 * without tsx), copies the data files the services read next to their code, and builds the web app.
 *
 * Usage: npm run build [-- <service> ...] [-- --standalone] [-- --no-web]
 *   --standalone  also copies the external packages (and what they need) into `apps/<name>/dist/node_modules`,
 *                 so `dist/` alone runs: the images copy only that folder.
 *   --no-web      skips the web app (the images build it in their own step).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import {
  buildPlan,
  bundleOptions,
  chunkedPackages,
  externalPackages,
  serviceNames,
  type ServiceName,
} from './build-plan.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const standalone = args.includes('--standalone');
const withWeb = !args.includes('--no-web');
const wanted = args.filter((a) => !a.startsWith('--'));
for (const name of wanted) {
  if (!(serviceNames as readonly string[]).includes(name)) {
    console.error(`[build] unknown service "${name}"; known: ${serviceNames.join(', ')}`);
    process.exit(2);
  }
}
const services = (wanted.length > 0 ? wanted : serviceNames) as ServiceName[];

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Where Node would find `name` from `fromDir`: the nearest node_modules up the tree. */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Needed only to install a package, never to load it (better-sqlite3 fetches its prebuilt addon with it). */
const installOnly = new Set(['prebuild-install']);

/**
 * Copies external packages and their production dependency closure into `target/node_modules`, each at
 * the same place below node_modules as where it is installed, so Node resolves them the same way.
 */
function copyDependencyClosure(
  names: readonly string[],
  fromDir: string,
  target: string,
): Record<string, string> {
  const copied = new Map<string, { version: string; dir: string }>();
  const queue = names.map((name) => ({ name, from: fromDir, optional: false }));
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift()!;
    if (installOnly.has(name)) continue;
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (optional) continue;
      throw new Error(`external package ${name} is not installed (needed from ${path.relative(root, from)})`);
    }
    const marker = `${path.sep}node_modules${path.sep}`;
    const place = dir.slice(dir.indexOf(marker) + marker.length);
    const pkg = readPackage(dir);
    const seen = copied.get(place);
    if (seen) {
      if (seen.dir !== dir)
        throw new Error(`${place} is installed twice (${seen.version}, ${pkg.version}); cannot place both`);
      continue;
    }
    copied.set(place, { version: pkg.version, dir });
    for (const dep of Object.keys(pkg.dependencies ?? {}))
      queue.push({ name: dep, from: dir, optional: false });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {}))
      queue.push({ name: dep, from: dir, optional: true });
  }
  for (const [place, { dir }] of copied) {
    const native = existsSync(path.join(dir, 'binding.gyp'));
    cpSync(dir, path.join(target, 'node_modules', place), {
      recursive: true,
      dereference: true,
      // Nested installs are copied on their own when needed; a native addon's sources and build
      // intermediates are not needed to load it.
      filter: (src) => {
        const rel = path.relative(dir, src);
        if (/^node_modules(\/|$)/.test(rel)) return false;
        return !(native && /^(build\/Release\/(obj|obj\.target|\.deps)|deps|src)(\/|$)/.test(rel));
      },
    });
  }
  return Object.fromEntries(names.filter((n) => copied.has(n)).map((n) => [n, copied.get(n)!.version]));
}

/** Fails when a file of the bundle reads a file next to itself that the build did not put there. */
function checkDataFiles(outDir: string): void {
  const bundle = readdirSync(outDir)
    .filter((file) => file.endsWith('.js'))
    .map((file) => readFileSync(path.join(outDir, file), 'utf8'))
    .join('\n');
  // Minified: no space after the comma.
  const missing = [...bundle.matchAll(/new URL\("\.\/([^"]+)",\s*import\.meta\.url\)/g)]
    .map((m) => m[1]!)
    .filter((file) => !existsSync(path.join(outDir, file)));
  if (missing.length > 0) {
    throw new Error(
      `${path.relative(root, outDir)} reads ${missing.join(', ')} beside itself, which the build did not ` +
        'copy: add them to the service data files in scripts/build-plan.ts',
    );
  }
}

/** The output name of a package's extra entry point (see chunkedPackages). */
function packageEntryName(name: string): string {
  return `package-${name.replace(/[@/]/g, '_')}`;
}

async function buildService(name: ServiceName): Promise<void> {
  const started = performance.now();
  const appDir = path.join(root, 'apps', name);
  const outDir = path.join(appDir, 'dist');
  const plan = buildPlan[name];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const external = [...externalPackages, ...plan.external];
  await build({
    ...bundleOptions,
    entryPoints: {
      main: path.join(appDir, 'src', 'main.ts'),
      ...Object.fromEntries(chunkedPackages.map((name) => [packageEntryName(name), name])),
    },
    // Resolves the package entries as the service's own imports would.
    absWorkingDir: appDir,
    outdir: outDir,
    external,
    minify: true,
    // Error and class names stay readable in logs and in the platform's error codes.
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    // CommonJS libraries inside an ES module bundle still call require() and read __dirname.
    banner: {
      js: [
        "import { createRequire as __ashappCreateRequire } from 'node:module';",
        "import { fileURLToPath as __ashappFileURLToPath } from 'node:url';",
        'const require = __ashappCreateRequire(import.meta.url);',
        'const __filename = __ashappFileURLToPath(import.meta.url);',
        "const __dirname = __ashappFileURLToPath(new URL('.', import.meta.url));",
      ].join('\n'),
    },
  });
  for (const [file, entry] of Object.entries(plan.extraEntries ?? {})) {
    await build({
      entryPoints: [path.join(appDir, 'src', entry)],
      outfile: path.join(outDir, file),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20.19',
      minify: true,
      keepNames: true,
      sourcemap: 'linked',
      logLevel: 'warning',
    });
  }
  // The package entries exist only to give their packages chunks of their own; nothing loads them.
  for (const name of chunkedPackages) {
    for (const suffix of ['.js', '.js.map'])
      rmSync(path.join(outDir, `${packageEntryName(name)}${suffix}`), { force: true });
  }
  // Each file lands where its reader looks for it beside the bundle: the path below the reader's feature
  // folder (`aws-models/index/aws-models.idx` → `dist/index/aws-models.idx`).
  for (const file of plan.dataFiles) {
    const target = path.join(outDir, ...file.split('/').slice(1));
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(appDir, 'src', file), target);
  }
  checkDataFiles(outDir);
  const runtimeDependencies = standalone ? copyDependencyClosure(plan.runtimeModules, appDir, outDir) : {};
  const own = readPackage(appDir);
  writeFileSync(
    path.join(outDir, 'package.json'),
    `${JSON.stringify({ name: own.name, version: own.version, private: true, type: 'module', main: 'main.js', dependencies: runtimeDependencies }, null, 2)}\n`,
  );
  console.log(`[build] ${name}: apps/${name}/dist in ${Math.round(performance.now() - started)} ms`);
}

function run(command: string, commandArgs: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  for (const name of services) await buildService(name);
  if (withWeb) {
    const code = await run('npm', ['run', 'build', '-w', '@ashapp/web']);
    if (code !== 0) throw new Error(`the web build exited with ${code}`);
  }
}

main().catch((err: unknown) => {
  console.error(`[build] failed: ${(err as Error).message}`);
  process.exit(1);
});
