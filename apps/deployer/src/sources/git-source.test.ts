import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { InputError } from '@ashapp/platform';
import { createGitSource } from './git-source.ts';
import { createTestBuildSandbox } from '../../test/build-sandbox.ts';

const run = promisify(execFile);
const sandbox = createTestBuildSandbox();
const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };

async function makeRepo(dir: string, files: Record<string, string>, branch = 'main'): Promise<void> {
  await run('git', ['init', '-q', '-b', branch, dir], { env: gitEnv });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  await run('git', ['-C', dir, 'add', '-A'], { env: gitEnv });
  await run('git', ['-C', dir, 'commit', '-q', '-m', 'init'], { env: gitEnv });
}

describe('git source (real git, local repositories)', () => {
  let work: string;
  let repo: string;
  const source = () => createGitSource({ log: pino({ level: 'silent' }), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, allowLocalPaths: true, tempDir: work, sandbox });

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
    await assert.rejects(source().clone({ repoUrl: repo, ref: 'nope' }), (e: unknown) => e instanceof InputError && e.details?.field === 'ref');
    const bare = join(work, 'nodockerfile');
    await makeRepo(bare, { 'README.md': 'x' });
    await assert.rejects(source().clone({ repoUrl: bare, ref: 'main' }), /no Dockerfile/);
    await assert.rejects(source().clone({ repoUrl: join(work, 'missing'), ref: 'main' }), InputError);
  });

  test('refuses checkouts over the size cap', async () => {
    const big = join(work, 'big');
    await makeRepo(big, { Dockerfile: 'FROM scratch\n', 'blob.bin': 'x'.repeat(200_000) });
    const small = createGitSource({ log: pino({ level: 'silent' }), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, allowLocalPaths: true, tempDir: work, maxBytes: 100_000, sandbox });
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
    assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('ashapp-git-')), []);
  });

  test('refuses local paths when they are not allowed', async () => {
    const remoteOnly = createGitSource({ log: pino({ level: 'silent' }), env: { PATH: '/usr/bin:/bin' }, allowLocalPaths: false, tempDir: work, sandbox });
    await assert.rejects(remoteOnly.clone({ repoUrl: repo, ref: 'main' }), InputError);
  });
});
