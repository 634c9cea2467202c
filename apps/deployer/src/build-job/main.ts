/**
 * The entry of a build Job's containers (ADR 0027), shipped in the deployer image as
 * `apps/deployer/dist/build-job.js` and run by tini → node (no shell):
 *
 *   build-job.js clone   (git sources) clone ASHAPP_GIT_URL at ASHAPP_GIT_REF into /build/context with the
 *                        deployer's git options; the commit → termination message
 *   build-job.js build   unpack /run/ashapp/context/context.tar.gz (pasted code) or take the clone's
 *                        checkout (ASHAPP_BUILD_SOURCE=checkout), `buildah bud` it into the pod's store
 *   build-job.js push    `buildah push` with /run/ashapp/auth/auth.json; the digest → termination message
 *
 * Only node built-ins and import-free helpers: this file is bundled on its own and must not load the
 * deployer service.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parseFromImages } from '../build/dockerfile-from.ts';
import { readImageRegistry } from '../build/image-builder.ts';
import {
  checkoutWithinLimits,
  defaultCheckoutLimits,
  gitCloneArgs,
  gitCloneEnv,
  gitRefNotFound,
} from '../sources/git-clone-command.ts';

const env = process.env;
const work = env.ASHAPP_BUILD_WORK ?? '/build';
const contextArchive = join(env.ASHAPP_BUILD_CONTEXT_DIR ?? '/run/ashapp/context', 'context.tar.gz');
const authFile = join(env.ASHAPP_BUILD_AUTH_DIR ?? '/run/ashapp/auth', 'auth.json');
const terminationLog = env.ASHAPP_BUILD_TERMINATION_LOG ?? '/dev/termination-log';
const image = env.ASHAPP_BUILD_IMAGE ?? '';
const storage = ['--root', join(work, 'storage'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs'];

/**
 * Runs a tool with an argument vector, its output going to the container's log (stdin from `input` when
 * given); resolves its exit code.
 */
function run(command: string, args: string[], input?: NodeJS.ReadableStream): Promise<number> {
  say(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: [input ? 'pipe' : 'ignore', 'inherit', 'inherit'],
      shell: false,
    });
    if (input && child.stdin) {
      input.once('error', (err) => {
        complain(`reading the build context: ${err.message}`);
        child.stdin?.destroy();
      });
      input.pipe(child.stdin);
    }
    child.once('error', (err) => {
      complain(`${command}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs git with its output kept (not in the container's log: it names addresses and ports). */
function capture(
  args: string[],
  childEnv: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv, shell: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (code: number) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    };
    child.once('error', (e) => {
      err.push(Buffer.from(e.message));
      done(127);
    });
    child.once('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** The operator's checkout limits, handed to the pod by the deployer (the defaults otherwise). */
const checkoutLimits = {
  maxBytes: Number(env.ASHAPP_GIT_MAX_BYTES) || defaultCheckoutLimits.maxBytes,
  maxFiles: Number(env.ASHAPP_GIT_MAX_FILES) || defaultCheckoutLimits.maxFiles,
};

/**
 * The clone of a git source, in the build namespace (its NetworkPolicy: public addresses only). The
 * container log gets only what the deployer would say itself; git's own words (addresses, ports) go after
 * a code in the termination message, which the deployer puts in its server log, never in the user's:
 * `commit <sha>`, or `failed: clone|ref|no-dockerfile|too-large` and the details.
 */
async function clone(): Promise<number> {
  const url = env.ASHAPP_GIT_URL ?? '';
  const ref = env.ASHAPP_GIT_REF ?? '';
  const context = join(work, 'context');
  const home = join(work, 'home');
  for (const dir of [home, join(work, 'tmp')]) await mkdir(dir, { recursive: true });
  const fail = async (code: string, details: string) => {
    await writeFile(
      terminationLog,
      `failed: ${code}\n${details.split(work).join('<work>').trim().slice(-1000)}\n`,
    );
    return 1;
  };
  say(`cloning ${ref}`);
  const childEnv = gitCloneEnv({ transport: 'https', home, path: env.PATH });
  const cloned = await capture(
    gitCloneArgs({ transport: 'https', url, ref, dir: context }),
    childEnv,
    Number(env.ASHAPP_GIT_TIMEOUT_MS) || 120_000,
  );
  if (cloned.code !== 0) {
    say('the repository could not be cloned');
    return fail(gitRefNotFound.test(cloned.stderr) ? 'ref' : 'clone', cloned.stderr);
  }
  say(`cloned ${ref}`);
  const head = await capture(['-C', context, 'rev-parse', 'HEAD'], childEnv, 30_000);
  const commit = head.stdout.trim();
  if (head.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) return fail('clone', head.stderr);
  await rm(join(context, '.git'), { recursive: true, force: true });
  if (!(await checkoutWithinLimits(context, checkoutLimits))) return fail('too-large', '');
  const dockerfile = await lstat(join(context, 'Dockerfile')).catch(() => undefined);
  if (!dockerfile?.isFile()) return fail('no-dockerfile', '');
  await writeFile(terminationLog, `commit ${commit}\n`);
  return 0;
}

/** Plain HTTP / unverified TLS for the base image only when its registry is one the operator listed. */
async function pullTlsVerify(context: string): Promise<boolean> {
  if (env.ASHAPP_BUILD_PULL_TLS_VERIFY === 'false') return false;
  const insecure = (env.ASHAPP_BUILD_INSECURE_REGISTRIES ?? '').split(',').filter(Boolean);
  if (insecure.length === 0) return true;
  const first = parseFromImages(await readFile(join(context, 'Dockerfile'), 'utf8').catch(() => ''))[0];
  return !(first && insecure.includes(readImageRegistry(first)));
}

async function build(): Promise<number> {
  const context = join(work, 'context');
  for (const dir of [context, join(work, 'home'), join(work, 'tmp')]) await mkdir(dir, { recursive: true });
  if (env.ASHAPP_BUILD_SOURCE !== 'checkout') {
    // The archive is the deployer's own (its files, owned by root); GNU tar refuses `..` and absolute names.
    // Unzipped here (the image need not have gzip), unpacked by tar from stdin.
    const unpacked = await run(
      'tar',
      ['-x', '-f', '-', '-C', context, '--no-same-owner'],
      createReadStream(contextArchive).pipe(createGunzip()),
    );
    if (unpacked !== 0) return unpacked;
  }
  return run('buildah', [
    ...storage,
    'bud',
    '--isolation',
    'chroot',
    `--tls-verify=${(await pullTlsVerify(context)) ? 'true' : 'false'}`,
    '--iidfile',
    join(work, 'image-id'),
    '-t',
    image,
    context,
  ]);
}

async function push(): Promise<number> {
  const digestFile = join(work, 'digest');
  const auth = await readFile(authFile).then(
    () => ['--authfile', authFile],
    () => [],
  );
  const code = await run('buildah', [
    ...storage,
    'push',
    ...auth,
    `--tls-verify=${env.ASHAPP_BUILD_PUSH_TLS_VERIFY === 'false' ? 'false' : 'true'}`,
    '--digestfile',
    digestFile,
    '--retry',
    '1',
    image,
    `docker://${image}`,
  ]);
  if (code !== 0) return code;
  const digest = (await readFile(digestFile, 'utf8')).trim();
  say(`pushed ${image}@${digest}`);
  // The deployer reads the digest from the container's termination message.
  await writeFile(terminationLog, `${digest}\n`);
  return 0;
}

const say = (line: string) => void process.stdout.write(`${line}\n`);
const complain = (line: string) => void process.stderr.write(`${line}\n`);

const step = process.argv[2];
if (step === 'clone' && env.ASHAPP_GIT_URL && env.ASHAPP_GIT_REF) {
  process.exitCode = await clone();
} else if (!image || (step !== 'build' && step !== 'push')) {
  complain(
    'usage: build-job.js build|push (with ASHAPP_BUILD_IMAGE set), or clone (with ASHAPP_GIT_URL and ASHAPP_GIT_REF)',
  );
  process.exitCode = 2;
} else {
  process.exitCode = await (step === 'build' ? build() : push());
}
