import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { identityHeader, signIdentity } from '@ashapp/platform';
import {
  createTestDatabase,
  getFreePort,
  startServiceProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@ashapp/platform/testing';
import { readTestChildEnv } from '../../test/containers-env.ts';
import { readEventStream, type SseMessage } from '../../test/sse.ts';
import { testBuildStorageDir } from '../../test/build-sandbox.ts';

/**
 * Issue 9, "several replicas, nothing lost", for the deployer: two real deployer processes share one
 * PostgreSQL or MariaDB database. A deployment's live progress streams the same from either replica, and
 * when the replica running a deployment is killed mid-build (SIGKILL, with its build children, as when a
 * pod dies), the other replica ends it as Failed with the reason once the lease lapses: it never stays
 * "Building". Real buildah builds from local git repositories, in a container store of this test's own.
 */

const run = promisify(execFile);
const env = readTestChildEnv();
const secret = 'r'.repeat(43);
// Short, so the SIGKILL test ends soon after its lease; not so short that a loaded CI machine (two cores,
// buildah running) misses a renewal: at 2 s, one CI run saw the running replica's own lease lapse.
const leaseMs = 5000;
const user = 'arn:aws:iam::111111111111:user/alice';
const mainEntry = fileURLToPath(new URL('../main.ts', import.meta.url));
const sleeperImage = 'localhost/ashapp-test-sleeper:1';
// The build sandbox keeps its layer cache between builds: a step unique to each build is never taken from it.
const uniqueFraction = () => String(randomInt(1000, 10_000));

function headers(): Record<string, string> {
  return {
    'content-type': 'application/json',
    [identityHeader]: signIdentity(
      { userId: user, roles: ['user'], requestId: `req-${Date.now()}`, sessionId: 's1' },
      secret,
    ),
  };
}

/** Every process below `pid` (children, grandchildren …), read from /proc. */
async function readDescendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [pid];
  for (let guard = 0; queue.length > 0 && guard < 10_000; guard += 1) {
    const current = queue.shift()!;
    const tasks = await readdir(`/proc/${current}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const text = await readFile(`/proc/${current}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of text.split(/\s+/).filter(Boolean).map(Number)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(
    `two deployer replicas sharing ${dialect === 'mysql' ? 'MariaDB' : 'PostgreSQL'}`,
    { timeout: 240_000 },
    () => {
      let database: TestDatabase;
      let work: string;
      let storageArgs: string[];
      const replicas: ServiceProcess[] = [];
      let a: ServiceProcess;
      let b: ServiceProcess;

      async function buildah(args: string[]): Promise<string> {
        const { stdout } = await run('buildah', [...storageArgs, ...args], { env });
        return stdout.trim();
      }

      /** A repository whose Dockerfile runs the given steps on a base image holding only `sleep`. */
      async function createRepository(name: string, steps: string[]): Promise<string> {
        const repo = join(work, name);
        const gitEnv = {
          ...env,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.com',
        };
        await run('git', ['init', '-q', '-b', 'main', repo], { env: gitEnv });
        await writeFile(join(repo, 'Dockerfile'), [`FROM ${sleeperImage}`, ...steps, ''].join('\n'));
        await run('git', ['-C', repo, 'add', '-A'], { env: gitEnv });
        await run('git', ['-C', repo, 'commit', '-q', '-m', 'app'], { env: gitEnv });
        return repo;
      }

      async function startReplica(name: string): Promise<ServiceProcess> {
        const port = await getFreePort();
        const replica = await startServiceProcess({
          entry: mainEntry,
          port,
          env: {
            ...env,
            DEPLOYER_PORT: String(port),
            ASHAPP_DATA_DIR: join(work, `data-${name}`),
            DEPLOYER_DATABASE_URL: database.url,
            INTERNAL_AUTH_SECRET: secret,
            MONITOR_URL: 'http://127.0.0.1:9',
            HISTORY_URL: 'http://127.0.0.1:9',
            DEPLOYER_TARGET: 'podman',
            DEPLOYER_BUILDER: 'buildah',
            DEPLOYER_CONTAINERS_ROOT: join(work, 'containers', 'root'),
            DEPLOYER_CONTAINERS_RUNROOT: join(work, 'containers', 'runroot'),
            DEPLOYER_ALLOW_LOCAL_GIT: 'true',
            // The build sandbox's user keeps its store where it can reach it (the test's work folder is 0700).
            DEPLOYER_BUILD_STORAGE_DIR: testBuildStorageDir,
            DEPLOYER_LEASE_MS: String(leaseMs),
            DEPLOYER_STREAM_POLL_MS: '200',
            DEPLOYER_SSE_HEARTBEAT_MS: '1000',
            LOG_LEVEL: 'warn',
          },
          timeoutMs: 60_000,
        });
        replicas.push(replica);
        return replica;
      }

      async function deploy(replica: ServiceProcess, appName: string, repo: string): Promise<string> {
        const res = await fetch(`${replica.url}/deployer-api/deploy`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ app_name: appName, repo_url: repo, ref: 'main' }),
        });
        const body = (await res.json()) as { deployment_id: string };
        assert.equal(res.status, 202, JSON.stringify(body));
        return body.deployment_id;
      }

      async function readRecord(
        replica: ServiceProcess,
        id: string,
      ): Promise<{ state: string; error: string | null; events: Array<{ kind: string; text: string }> }> {
        const res = await fetch(`${replica.url}/deployer-api/deployments/${id}`, { headers: headers() });
        assert.equal(res.status, 200);
        return (await res.json()) as {
          state: string;
          error: string | null;
          events: Array<{ kind: string; text: string }>;
        };
      }

      before(async () => {
        database = await createTestDatabase(dialect);
        work = await mkdtemp(join(tmpdir(), 'ashapp-replicas-'));
        storageArgs = [
          '--root',
          join(work, 'containers', 'root'),
          '--runroot',
          join(work, 'containers', 'runroot'),
        ];
        // A base image of three files (sleep and its loader and libc): builds run real steps, nothing is pulled.
        const container = await buildah(['from', 'scratch']);
        for (const file of [
          '/usr/bin/sleep',
          '/lib/x86_64-linux-gnu/libc.so.6',
          '/lib64/ld-linux-x86-64.so.2',
        ]) {
          await buildah(['copy', container, await realpath(file), file]);
        }
        await buildah(['commit', '-q', container, sleeperImage]);
        await buildah(['rm', container]);
        a = await startReplica('a');
        b = await startReplica('b');
      });

      after(async () => {
        for (const replica of replicas) await replica.stop();
        if (storageArgs) {
          await run('buildah', [...storageArgs, 'rm', '--all'], { env }).catch(() => undefined);
          await run('buildah', [...storageArgs, 'rmi', '--all', '--force'], { env }).catch(() => undefined);
        }
        if (work) await rm(work, { recursive: true, force: true });
        await database?.drop();
      });

      test('live progress streams the same from the replica running the deployment and from the other one', async () => {
        const repo = await createRepository('streamed', [
          `RUN ["/usr/bin/sleep", "3.${uniqueFraction()}"]`,
          'RUN ["/no/such/program"]',
        ]);
        const id = await deploy(a, 'streamed', repo);
        const arrivals: Array<{ replica: string; message: SseMessage; at: number }> = [];
        const follow = (replica: ServiceProcess, name: string) =>
          readEventStream(
            `${replica.url}/deployer-api/deployments/${id}/stream`,
            headers(),
            (message) => arrivals.push({ replica: name, message, at: Date.now() }),
            120_000,
          );
        const [fromA, fromB] = await Promise.all([follow(a, 'a'), follow(b, 'b')]);
        const shape = (messages: SseMessage[]) =>
          messages.map((m) => ({ id: m.id, event: m.event, data: m.data }));
        assert.deepEqual(
          shape(fromB.messages),
          shape(fromA.messages),
          'both replicas sent the same events in the same order',
        );
        const states = fromB.messages.filter((m) => m.event === 'state').map((m) => m.data.state);
        const doneOf = (messages: SseMessage[]) => messages.find((m) => m.event === 'done');
        assert.deepEqual(states, ['Initialized', 'Validating', 'Preparing', 'Building', 'Failed']);
        assert.ok(
          fromB.messages.some(
            (m) =>
              m.event === 'log' &&
              /STEP 2\/3: RUN \["\/usr\/bin\/sleep", "3\.\d+"\]/.test(String(m.data.line)),
          ),
        );
        assert.equal(doneOf(fromB.messages)?.data.state, 'Failed');
        // Live, not a replay at the end: B saw Building while the 3-second step was still running on A.
        const building = arrivals.find(
          (x) => x.replica === 'b' && x.message.event === 'state' && x.message.data.state === 'Building',
        );
        const done = arrivals.find((x) => x.replica === 'b' && x.message.event === 'done');
        assert.ok(
          building && done && done.at - building.at >= 2000,
          `Building reached B ${done && building ? done.at - building.at : '?'} ms before done; log:\n${fromB.messages
            .filter((m) => m.event === 'log')
            .map((m) => String(m.data.line))
            .join('\n')}`,
        );
      });

      test('SIGKILL of the replica running a build: the other ends the deployment as Failed with the reason within the lease', async () => {
        const repo = await createRepository('killed', [`RUN ["/usr/bin/sleep", "120.${uniqueFraction()}"]`]);
        const id = await deploy(a, 'killed', repo);
        let sawBuildStep = false;
        for (let i = 0; i < 300 && !sawBuildStep; i += 1) {
          const record = await readRecord(b, id);
          sawBuildStep =
            record.state === 'Building' && record.events.some((e) => /STEP 2\/2: RUN/.test(e.text));
          if (!sawBuildStep) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(sawBuildStep, 'the build step is running on replica A');
        const stream = readEventStream(
          `${b.url}/deployer-api/deployments/${id}/stream`,
          headers(),
          () => undefined,
          leaseMs + 60_000,
        );

        // As when a pod dies: the deployer and everything it started go at once.
        const pid = a.child.pid!;
        const children = await readDescendants(pid);
        const killedAt = Date.now();
        a.child.kill('SIGKILL');
        for (const child of children) {
          try {
            process.kill(child, 'SIGKILL');
          } catch {
            // already gone with its parent
          }
        }

        const ended = (await stream).messages.find((m) => m.event === 'done');
        const elapsed = Date.now() - killedAt;
        assert.equal(ended?.data.state, 'Failed');
        assert.match(
          String(ended?.data.error),
          /the deployer replica running it stopped during Building \(its lease lapsed\) before anything was changed/,
        );
        assert.ok(elapsed < leaseMs + 6000, `ended ${elapsed} ms after the kill (lease ${leaseMs} ms)`);
        const record = await readRecord(b, id);
        assert.equal(record.state, 'Failed');
        assert.ok(record.events.some((e) => e.kind === 'state' && /lease lapsed/.test(e.text)));
      });
    },
  );
}
