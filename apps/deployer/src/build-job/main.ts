/**
 * The entry of a build Job's containers (ADR 0027), shipped in the deployer image as
 * `apps/deployer/dist/build-job.js` and run by tini → node (no shell):
 *
 *   build-job.js build   unpack /run/ashapp/context/context.tar.gz, `buildah bud` it into the pod's store
 *   build-job.js push    `buildah push` with /run/ashapp/auth/auth.json; the digest → termination message
 *
 * Only node built-ins: this file is bundled on its own and must not load the deployer service.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

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

async function build(): Promise<number> {
  const context = join(work, 'context');
  for (const dir of [context, join(work, 'home'), join(work, 'tmp')]) await mkdir(dir, { recursive: true });
  // The archive is the deployer's own (its files, owned by root); GNU tar refuses `..` and absolute names.
  // Unzipped here (the image need not have gzip), unpacked by tar from stdin.
  const unpacked = await run(
    'tar',
    ['-x', '-f', '-', '-C', context, '--no-same-owner'],
    createReadStream(contextArchive).pipe(createGunzip()),
  );
  if (unpacked !== 0) return unpacked;
  return run('buildah', [
    ...storage,
    'bud',
    '--isolation',
    'chroot',
    `--tls-verify=${env.ASHAPP_BUILD_PULL_TLS_VERIFY === 'false' ? 'false' : 'true'}`,
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
if (!image || (step !== 'build' && step !== 'push')) {
  complain('usage: build-job.js build|push (with ASHAPP_BUILD_IMAGE set)');
  process.exitCode = 2;
} else {
  process.exitCode = await (step === 'build' ? build() : push());
}
