import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createServer, createConnection, type AddressInfo } from 'node:net';
import { InputError, type Logger } from '@ashapp/platform';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { cloneFailedMessage, createGitSource } from './git-source.ts';
import type { BuildSandbox } from '../sandbox/build-sandbox.ts';
import { createAddressPolicy, type AddressPolicy, type HostLookup } from '../sandbox/network-policy.ts';
import { createTestBuildSandbox } from '../../test/build-sandbox.ts';
import { createTestNetwork, type TestNetwork } from '../../test/test-network.ts';

const run = promisify(execFile);
const sandbox = createTestBuildSandbox();
const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

async function makeRepo(dir: string, files: Record<string, string>, branch = 'main'): Promise<void> {
  await run('git', ['init', '-q', '-b', branch, dir], { env: gitEnv });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  await run('git', ['-C', dir, 'add', '-A'], { env: gitEnv });
  await run('git', ['-C', dir, 'commit', '-q', '-m', 'init'], { env: gitEnv });
}

describe('git source (real git, local repositories)', () => {
  let work: string;
  let repo: string;
  const source = () =>
    createGitSource({
      log: pino({ level: 'silent' }),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      allowLocalPaths: true,
      tempDir: work,
      sandbox,
    });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ashapp-git-test-'));
    repo = join(work, 'repo');
    await makeRepo(repo, { Dockerfile: 'FROM scratch\n', 'app.py': 'print(1)\n' });
    await run('git', ['-C', repo, 'checkout', '-q', '-b', 'feature/x'], { env: gitEnv });
    await writeFile(join(repo, 'feature.txt'), 'x');
    await symlink('/etc/hostname', join(repo, 'leak'));
    await run('git', ['-C', repo, 'add', '-A'], { env: gitEnv });
    await run('git', ['-C', repo, 'commit', '-q', '-m', 'feature'], { env: gitEnv });
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('clones a ref at depth 1 without .git, with the Dockerfile at the root', async () => {
    const checkout = await source().clone({ repoUrl: repo, ref: 'main' });
    try {
      assert.deepEqual((await readdir(checkout.dir)).sort(), ['Dockerfile', 'app.py']);
      assert.match(checkout.commit, /^[0-9a-f]{40}$/);
    } finally {
      await checkout.remove();
    }
    assert.equal(existsSync(checkout.dir), false);
  });

  test('checks a symlink out as a plain file so the build cannot read host files through it', async () => {
    const checkout = await source().clone({ repoUrl: repo, ref: 'feature/x' });
    try {
      assert.equal(await readFile(join(checkout.dir, 'leak'), 'utf8'), '/etc/hostname');
    } finally {
      await checkout.remove();
    }
  });

  test('answers 400 for a missing ref, a repository without Dockerfile, and a missing repository', async () => {
    await assert.rejects(
      source().clone({ repoUrl: repo, ref: 'nope' }),
      (e: unknown) => e instanceof InputError && e.details?.field === 'ref',
    );
    const bare = join(work, 'nodockerfile');
    await makeRepo(bare, { 'README.md': 'x' });
    await assert.rejects(source().clone({ repoUrl: bare, ref: 'main' }), /no Dockerfile/);
    await assert.rejects(source().clone({ repoUrl: join(work, 'missing'), ref: 'main' }), InputError);
  });

  test('refuses checkouts over the size cap', async () => {
    const big = join(work, 'big');
    await makeRepo(big, { Dockerfile: 'FROM scratch\n', 'blob.bin': 'x'.repeat(200_000) });
    const small = createGitSource({
      log: pino({ level: 'silent' }),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      allowLocalPaths: true,
      tempDir: work,
      maxBytes: 100_000,
      sandbox,
    });
    await assert.rejects(small.clone({ repoUrl: big, ref: 'main' }), /larger than/);
  });

  test('refuses injection attempts before running git, and nothing is executed', async () => {
    const marker = join(work, 'pwned');
    const attempts: Array<[unknown, unknown]> = [
      [`ext::sh -c touch% ${marker}`, 'main'],
      [`--upload-pack=touch ${marker}`, 'main'],
      ['-c', 'main'],
      [repo, `--upload-pack=touch ${marker}`],
      [repo, '-c'],
      [`${repo}/../repo`, 'main'],
      [`file://${repo}`, 'main'],
    ];
    for (const [repoUrl, ref] of attempts) {
      await assert.rejects(source().clone({ repoUrl, ref }), InputError, String(repoUrl));
    }
    assert.equal(existsSync(marker), false);
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('ashapp-git-')),
      [],
    );
  });

  test('refuses local paths when they are not allowed', async () => {
    const remoteOnly = createGitSource({
      log: pino({ level: 'silent' }),
      env: { PATH: '/usr/bin:/bin' },
      allowLocalPaths: false,
      tempDir: work,
      sandbox,
    });
    await assert.rejects(remoteOnly.clone({ repoUrl: repo, ref: 'main' }), InputError);
  });
});

describe('git source: repository hosts and the build network', { timeout: 90_000 }, () => {
  const outside = '198.51.100.21';
  const privateHost = '10.254.214.2';
  let network: TestNetwork;
  let work: string;
  const remoteSource = (
    options: { policy?: AddressPolicy; sandbox?: BuildSandbox; log?: Logger; lookup?: HostLookup } = {},
  ) =>
    createGitSource({
      log: options.log ?? pino({ level: 'silent' }),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      allowLocalPaths: false,
      tempDir: work,
      timeoutMs: 20_000,
      sandbox: options.sandbox ?? sandbox,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
  const isGeneric = (err: unknown) => err instanceof InputError && err.message === cloneFailedMessage;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ashapp-git-net-test-'));
    network = await createTestNetwork([outside, privateHost]);
  });
  after(async () => {
    await network?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('refuses loopback, link-local, metadata and private hosts in any spelling with one generic answer, connecting nowhere', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const urls = [
        `https://127.0.0.1:${port}/team/app.git`,
        `https://localhost:${port}/team/app.git`,
        `https://2130706433:${port}/team/app.git`, // 127.0.0.1 as one number
        `https://[::1]:${port}/team/app.git`,
        `https://[::ffff:127.0.0.1]:${port}/team/app.git`,
        'https://169.254.169.254/latest/meta-data.git',
        'https://10.0.0.1/team/app.git',
        'https://192.168.1.1/team/app.git',
        'https://[fd00:ec2::254]/team/app.git',
      ];
      for (const repoUrl of urls)
        await assert.rejects(remoteSource().clone({ repoUrl, ref: 'main' }), isGeneric, repoUrl);
      const named = remoteSource({ lookup: async () => ['192.0.2.9', '10.1.2.3'] });
      await assert.rejects(
        named.clone({ repoUrl: 'https://git.example.test/team/app.git', ref: 'main' }),
        isGeneric,
        'one private address is enough',
      );
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('ashapp-git-')),
      [],
    );
  });

  test('clones inside the sandbox network rules: an operator exception for the host check alone does not open the way, one for both does', async () => {
    const listener = await network.listenInside(privateHost, 7443);
    await new Promise<void>((resolve, reject) => {
      const socket = createConnection({ host: privateHost, port: 7443, timeout: 3000 }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
    assert.equal(await listener.waitForConnections(1), 1, 'the host reaches the private test host');
    const allowed = createAddressPolicy(['10.254.214.0/24']);
    const repoUrl = `https://${privateHost}:7443/team/app.git`;

    const { log, lines } = createCapturingLogger('deployer');
    await assert.rejects(remoteSource({ policy: allowed, log }).clone({ repoUrl, ref: 'main' }), isGeneric);
    // curl's words for a refused connection (the rule answers "administratively prohibited" at once).
    assert.match(lines.join('\n'), /Failed to connect to 10\.254\.214\.2 port 7443 after \d+ ms/);
    assert.equal(listener.connections(), 1, 'the clone in the sandbox did not reach it');

    const openSandbox = createTestBuildSandbox({ allowed: ['10.254.214.0/24'] });
    await assert.rejects(
      remoteSource({ policy: allowed, sandbox: openSandbox }).clone({ repoUrl, ref: 'main' }),
      isGeneric,
    );
    assert.ok(
      (await listener.waitForConnections(2)) >= 2,
      'with the exception in the sandbox too, git connected (and got no TLS)',
    );
  });

  test('an open port and a closed port get the same answer, naming no folder; the details go to the server log only', async () => {
    await network.listenInside(outside, 7443);
    const { log, lines } = createCapturingLogger('deployer');
    const userLog: string[] = [];
    const answers: string[] = [];
    for (const port of [7443, 7444]) {
      const err = await remoteSource({ log })
        .clone({
          repoUrl: `https://${outside}:${port}/team/app.git`,
          ref: 'main',
          log: (l) => userLog.push(l),
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(isGeneric(err), String(err));
      answers.push((err as Error).message);
    }
    assert.equal(answers[0], answers[1]);
    assert.doesNotMatch(answers[0] ?? '', /\/tmp|ashapp-git|gnutls|Couldn't connect/i);
    assert.deepEqual(
      userLog.filter((l) => /gnutls|connect|TLS|\/tmp|ashapp-git/i.test(l)),
      [],
    );
    const serverLog = lines.join('\n');
    assert.match(serverLog, /git clone refused or failed/);
    assert.doesNotMatch(serverLog, new RegExp(work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
