import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkCgroupSupport, createBuildCgroupName, sweepStaleBuildCgroups } from './cgroups.ts';

const root = '/sys/fs/cgroup';
const controllers = ['memory', 'cpu', 'pids'] as const;
const support = await checkCgroupSupport(root);

function ownPath(controller: string): string {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, names, path] = line.split(':');
    if (names?.split(',').includes(controller) && path !== undefined) return path;
  }
  throw new Error(`no ${controller} controller`);
}

const groupDir = (controller: string, name: string) => join(root, controller, ownPath(controller), name);

async function makeGroup(name: string): Promise<void> {
  for (const c of controllers) await mkdir(groupDir(c, name));
}

/** A process that sits in the group until killed (it is started here, then moved in). */
async function startProcessIn(name: string): Promise<ChildProcess> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  for (const c of controllers) await writeFile(join(groupDir(c, name), 'cgroup.procs'), String(child.pid));
  return child;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** The tag of a pid that has exited: no live process matches it. */
async function readDeadTag(): Promise<string> {
  const child = spawn('true', [], { stdio: 'ignore' });
  await exited(child, 5000);
  return `${child.pid}.12345`;
}

describe(
  'stale build cgroups',
  { skip: support ? `cgroups cannot be created here: ${support}` : false },
  () => {
    const children: ChildProcess[] = [];
    const names: string[] = [];

    after(async () => {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const child of children) await exited(child, 5000);
      for (const name of names)
        for (const c of controllers)
          if (existsSync(groupDir(c, name))) await rmdir(groupDir(c, name)).catch(() => undefined);
    });

    test('names carry the deployer that made them (pid and start time)', () => {
      assert.match(createBuildCgroupName(), new RegExp(`^ashapp-build-${process.pid}\\.\\d+-[0-9a-f]{12}$`));
    });

    test("a SIGKILLed deployer's groups are removed and their processes killed; a live deployer's and unowned busy ones stay", async () => {
      const deadOwner = `ashapp-build-${await readDeadTag()}-aaaaaaaaaaaa`;
      const deadOwnerEmpty = `ashapp-build-${await readDeadTag()}-bbbbbbbbbbbb`;
      const liveOwner = createBuildCgroupName();
      const unownedEmpty = 'ashapp-build-cccccccccccc';
      const unownedBusy = 'ashapp-build-dddddddddddd';
      names.push(deadOwner, deadOwnerEmpty, liveOwner, unownedEmpty, unownedBusy);
      for (const name of names) await makeGroup(name);
      const orphan = await startProcessIn(deadOwner);
      const liveBuild = await startProcessIn(liveOwner);
      const unownedProcess = await startProcessIn(unownedBusy);
      children.push(orphan, liveBuild, unownedProcess);

      const sweep = await sweepStaleBuildCgroups(root);

      // Other test files build (and SIGKILL deployers) meanwhile: only this test's groups are judged here.
      const mine = new Set(names);
      assert.deepEqual(
        sweep.removed.filter((n) => mine.has(n)).sort(),
        [deadOwner, deadOwnerEmpty, unownedEmpty].sort(),
      );
      assert.deepEqual(sweep.kept.filter((n) => mine.has(n)).sort(), [liveOwner, unownedBusy].sort());
      for (const c of controllers) {
        assert.equal(existsSync(groupDir(c, deadOwner)), false);
        assert.equal(existsSync(groupDir(c, unownedEmpty)), false);
        assert.equal(existsSync(groupDir(c, liveOwner)), true);
      }
      assert.equal(await exited(orphan, 5000), true, 'the orphaned build process is killed');
      assert.equal(orphan.signalCode, 'SIGKILL');
      assert.equal(
        liveBuild.exitCode === null && liveBuild.signalCode === null,
        true,
        'a live build keeps running',
      );
      assert.equal(unownedProcess.exitCode === null && unownedProcess.signalCode === null, true);
    });
  },
);
