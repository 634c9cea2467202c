// The GitHub workflows: linted with action-validator (schema of workflow files), then the rules the issue
// sets: no step hides a failure, third-party actions pinned by commit, the CI runs what .ci/run runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { validateWorkflow } from '@action-validator/core';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const workflowsDir = path.join(root, '.github/workflows');
const scriptsDir = path.join(root, '.github/scripts');
const workflowFiles = readdirSync(workflowsDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Step {
  uses?: string;
  run?: string;
  'continue-on-error'?: unknown;
}
interface Job {
  steps?: Step[];
  'continue-on-error'?: unknown;
}
interface Workflow {
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const read = (file: string) => readFileSync(path.join(workflowsDir, file), 'utf8');
const load = (file: string) => parseYaml(read(file)) as Workflow;

describe('GitHub workflows (.github/workflows)', () => {
  test('ci, release and deploy exist', () => {
    assert.deepEqual(workflowFiles, ['ci.yml', 'deploy.yml', 'release.yml']);
  });

  test('every workflow passes action-validator', () => {
    for (const file of workflowFiles) {
      const state = validateWorkflow(read(file));
      assert.deepEqual(state.errors, [], `${file}: ${JSON.stringify(state.errors)}`);
    }
  });

  test('the linter rejects a broken workflow, so a pass means something', () => {
    const state = validateWorkflow(
      'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n        run: echo both\n',
    );
    assert.ok(state.errors.length > 0);
  });

  test('no step hides a failure: no "|| true", no continue-on-error, no "set +e"', () => {
    const texts = [
      ...workflowFiles.map((f) => [f, read(f)] as const),
      ...readdirSync(scriptsDir).map((f) => [f, readFileSync(path.join(scriptsDir, f), 'utf8')] as const),
    ];
    for (const [file, text] of texts) {
      assert.doesNotMatch(text, /\|\|\s*(true|:)(\s|$|;|\))/m, `${file} ignores a failure`);
      assert.doesNotMatch(text, /\bset \+e\b/, `${file} turns errors off`);
    }
    for (const file of workflowFiles) {
      for (const [name, job] of Object.entries(load(file).jobs)) {
        assert.equal(job['continue-on-error'], undefined, `${file} job ${name} has continue-on-error`);
        for (const step of job.steps ?? [])
          assert.equal(
            step['continue-on-error'],
            undefined,
            `${file} job ${name} step has continue-on-error`,
          );
      }
    }
  });

  test('every action is pinned by a full commit SHA with the version it stands for', () => {
    let count = 0;
    for (const file of workflowFiles) {
      for (const line of read(file).split('\n')) {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!match) continue;
        count++;
        const [, ref = '', rest = ''] = match;
        if (ref.startsWith('./')) continue;
        assert.match(
          ref,
          /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/,
          `${file}: ${ref} is not pinned by commit`,
        );
        assert.match(rest, /^\s+# v\d+(\.\d+)*$/, `${file}: ${ref} lacks its "# vX.Y.Z" comment`);
      }
    }
    assert.ok(count >= 10, `only ${count} uses: lines found`);
  });

  test('every workflow sets least-privilege permissions at the top', () => {
    for (const file of workflowFiles) {
      assert.deepEqual(load(file).permissions, { contents: 'read' }, `${file}: top-level permissions`);
      assert.doesNotMatch(read(file), /write-all/);
    }
  });

  test("CI runs the npm commands of .ci/run in the same order and installs .ci/run's own package list", () => {
    const ciRun = readFileSync(path.join(root, '.ci/run'), 'utf8');
    const local = ciRun
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^npm /.test(l));
    assert.ok(local.length >= 3, `.ci/run runs only ${local.join(', ')}`);
    const steps = load('ci.yml').jobs.checks?.steps ?? [];
    const remote = steps.map((s) => s.run?.trim() ?? '').filter((r) => /^npm /.test(r));
    assert.deepEqual(remote, local);
    assert.ok(steps.some((s) => s.run?.trim() === '.github/scripts/install-ci-packages.sh'));
    assert.match(readFileSync(path.join(scriptsDir, 'install-ci-packages.sh'), 'utf8'), /\.ci\/run/);
    assert.match(
      ciRun,
      /^packages=\(.*\)$/m,
      'install-ci-packages.sh reads the one-line packages=(...) of .ci/run',
    );
  });

  test('CI fails on critical vulnerabilities; release signs by digest; deploy rolls back on failure', () => {
    const ci = read('ci.yml');
    assert.match(ci, /fail-build: true/);
    assert.match(ci, /severity-cutoff: critical/);
    const release = read('release.yml');
    assert.match(release, /cosign sign --yes "\$REF"/);
    assert.match(release, /--digestfile/);
    const deploy = load('deploy.yml').jobs.deploy?.steps ?? [];
    const last = deploy.at(-1) as Step & { if?: string };
    assert.match(String(last.if), /failure\(\)/);
    assert.match(String(last.run), /rollback\.sh/);
    assert.ok(deploy.some((s) => /smoke-test\.sh/.test(s.run ?? '')));
    assert.ok(deploy.some((s) => /kustomize edit set image/.test(s.run ?? '')));
  });

  test('the scripts and every run: block pass shellcheck', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ashapp-workflow-runs-'));
    try {
      const files = readdirSync(scriptsDir).map((f) => path.join(scriptsDir, f));
      for (const file of workflowFiles) {
        for (const [name, job] of Object.entries(load(file).jobs)) {
          for (const [i, step] of (job.steps ?? []).entries()) {
            if (!step.run) continue;
            // GitHub runs these with bash -eo pipefail; expressions become an opaque quoted word.
            const body = step.run.replace(/\$\{\{[^}]*\}\}/g, 'GH_EXPRESSION');
            const target = path.join(dir, `${file}-${name}-${i}.sh`);
            await writeFile(target, `#!/usr/bin/env bash\nset -eo pipefail\n${body}\n`);
            files.push(target);
          }
        }
      }
      const { stdout } = await run('shellcheck', ['--severity=style', '--format=gcc', ...files]).catch(
        (err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }),
      );
      assert.equal(stdout, '');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
