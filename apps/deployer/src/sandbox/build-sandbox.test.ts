import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { UpstreamError } from '@ashapp/platform';
import { createBuildahBuilder } from '../build/buildah-builder.ts';
import { ensureTestBaseImage, type TestBaseImage } from '../../test/base-image.ts';
import { createTestBuildSandbox, testBuildStorageDir } from '../../test/build-sandbox.ts';
import { readTestChildEnv, readTestStorage } from '../../test/containers-env.ts';
import { createTestNetwork, waitForOutput, type TestNetwork } from '../../test/test-network.ts';
import { createBuildSandbox, SandboxUnavailableError, type BuildSandbox } from './build-sandbox.ts';
import { mountBuildDisk } from './build-disk.ts';
import { createAddressPolicy } from './network-policy.ts';

const run = promisify(execFile);
const log = pino({ level: 'silent' });
const env = readTestChildEnv();
const storage = readTestStorage();
const probeSource = fileURLToPath(new URL('./testdata/escape_probe.py', import.meta.url));

/** Test hosts: one on a TEST-NET address (the "outside world"), one private, one link-local. */
const outside = '198.51.100.20';
const privateHost = '10.254.213.2';
const linkLocalHost = '169.254.213.2';

/**
 * A static file server for the package index. Not `python3 -m http.server`: its HTTPServer looks up the
 * host's FQDN at start, which waits for DNS timeouts in a namespace without DNS.
 */
const indexServerScript = [
  'import functools, http.server, socketserver, sys',
  'handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])',
  'class Server(socketserver.ThreadingTCPServer):',
  '    allow_reuse_address = True',
  '    daemon_threads = True',
  'server = Server((sys.argv[1], int(sys.argv[2])), handler)',
  "print('READY', flush=True)",
  'server.serve_forever()',
].join('\n');

interface Probe {
  uid: number;
  uid_map: string;
  cap_eff: string;
  pids_visible: number[];
  host_environ: string;
  mknod: string;
  connections: Record<string, string>;
  threads_started: number;
  busy_wall?: number;
  busy_cpu?: number;
}

function listenOnHost(address: string): Promise<{ server: Server; port: number; connections(): number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => {
      const port = (server.address() as { port: number }).port;
      resolve({ server, port, connections: () => count });
    });
  });
}

async function connectFromHost(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
    socket.once('timeout', () => reject(new Error(`timeout connecting to ${host}:${port}`)));
  });
}

function firstHostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

describe(
  'build sandbox: a hostile Dockerfile cannot reach the host, its networks or its limits',
  { timeout: 180_000 },
  () => {
    let base: TestBaseImage;
    let pipBase: TestBaseImage;
    let work: string;
    let network: TestNetwork;
    const images: string[] = [];

    before(async () => {
      base = await ensureTestBaseImage({ env, storage });
      pipBase = await ensureTestBaseImage({
        env,
        storage,
        packages: ['python3-minimal', 'python3-pip', 'dash'],
      });
      work = await mkdtemp(join(tmpdir(), 'ashapp-sandbox-test-'));
      network = await createTestNetwork([outside, privateHost, linkLocalHost]);
    });
    after(async () => {
      const builder = createBuildahBuilder({ log, env, storage, sandbox: 'none' });
      for (const image of images) await builder.removeImage(image).catch(() => undefined);
      await network?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    async function writeContext(name: string, dockerfile: string): Promise<string> {
      const dir = join(work, name);
      await mkdir(dir, { recursive: true });
      await copyFile(probeSource, join(dir, 'escape_probe.py'));
      // The build user's store keeps layers across runs (a rebuild reuses them); every test build must run.
      const nonce = `ENV ASHAPP_TEST_RUN=${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      await writeFile(join(dir, 'Dockerfile'), dockerfile.replace(/^(FROM [^\n]+\n)/, `$1${nonce}\n`));
      return dir;
    }

    test('a RUN step is root only in its own user namespace, sees no host process, and reaches no loopback, metadata, link-local, private or host address while the outside world answers', async () => {
      const loopback = await listenOnHost('127.0.0.1');
      const hostAddress = firstHostAddress();
      const onHostAddress = hostAddress ? await listenOnHost(hostAddress) : undefined;
      const linkLocal = await network.listenInside(linkLocalHost, 7001);
      const privateListener = await network.listenInside(privateHost, 7002);
      const outsideListener = await network.listenInside(outside, 7003);
      try {
        // The test hosts are reachable from the host itself: a refusal below is the sandbox's doing.
        await connectFromHost(linkLocalHost, 7001);
        await connectFromHost(privateHost, 7002);
        assert.equal(await linkLocal.waitForConnections(1), 1);
        assert.equal(await privateListener.waitForConnections(1), 1);

        const targets = [
          ['loopback', '127.0.0.1', loopback.port],
          ['metadata', '169.254.169.254', 80],
          ['link-local', linkLocalHost, 7001],
          ['private', privateHost, 7002],
          ['outside', outside, 7003],
          ...(onHostAddress && hostAddress ? [['host-address', hostAddress, onHostAddress.port]] : []),
        ];
        const config = JSON.stringify({ targets, host_pid: process.pid, threads: 0 });
        const contextDir = await writeContext(
          'escape',
          [
            `FROM ${base.localImage}`,
            'COPY escape_probe.py /escape_probe.py',
            `RUN ${JSON.stringify(['python3', '/escape_probe.py', config])}`,
            '',
          ].join('\n'),
        );
        const lines: string[] = [];
        const image = 'localhost/ashapp-sandbox-escape:1';
        images.push(image);
        const builder = createBuildahBuilder({ log, env, storage, sandbox: createTestBuildSandbox() });
        await builder.build({ contextDir, image, log: (l) => lines.push(l), pull: 'never' });
        const line = lines.find((l) => l.startsWith('PROBE '));
        assert.ok(line, `probe output in the build log:\n${lines.join('\n')}`);
        const probe = JSON.parse(line.slice('PROBE '.length)) as Probe;

        assert.equal(probe.uid, 0, 'root inside the build');
        const status = await createTestBuildSandbox().status();
        assert.ok(status.ready);
        const { uid, uids } = status.user;
        assert.notEqual(uid, 0);
        assert.equal(
          probe.uid_map,
          `0 ${uid} 1 1 ${uids.start} ${Math.min(uids.count, 65536)}`,
          'root inside is the unprivileged build user outside',
        );
        assert.equal(
          probe.mknod,
          'EPERM',
          'capabilities are only those of its user namespace: no device nodes',
        );
        assert.ok(!probe.pids_visible.includes(process.pid), 'host processes are not visible');
        assert.ok(
          probe.pids_visible.length < 20,
          `only the build's processes are visible: ${probe.pids_visible.length}`,
        );
        assert.match(probe.host_environ, /^ERR/);

        assert.equal(probe.connections.outside, 'connected', JSON.stringify(probe.connections));
        assert.ok((await outsideListener.waitForConnections(1)) >= 1);
        for (const name of [
          'metadata',
          'link-local',
          'private',
          ...(onHostAddress ? ['host-address'] : []),
        ]) {
          assert.equal(probe.connections[name], 'EHOSTUNREACH', `${name} is refused by the sandbox's rules`);
        }
        assert.equal(probe.connections.loopback, 'ECONNREFUSED', "127.0.0.1 is the build's own loopback");
        assert.equal(loopback.connections(), 0);
        assert.equal(onHostAddress?.connections() ?? 0, 0);
        assert.equal(linkLocal.connections(), 1, 'only the host reached the link-local listener');
        assert.equal(privateListener.connections(), 1, 'only the host reached the private listener');
      } finally {
        loopback.server.close();
        onHostAddress?.server.close();
      }
    });

    test('pip installs a package from an index on a public address, and not from one on a private address', async () => {
      const indexDir = join(work, 'index');
      const projectDir = join(indexDir, 'simple', 'demo-sandbox-pkg');
      await mkdir(projectDir, { recursive: true });
      // A minimal pure-Python wheel, written with Python's own zipfile.
      await run('python3', [
        '-c',
        [
          'import sys, zipfile',
          'z = zipfile.ZipFile(sys.argv[1], "w")',
          'z.writestr("demo_sandbox_pkg/__init__.py", "VALUE = 42\\n")',
          'z.writestr("demo_sandbox_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: demo-sandbox-pkg\\nVersion: 1.0\\n")',
          'z.writestr("demo_sandbox_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
          'z.writestr("demo_sandbox_pkg-1.0.dist-info/RECORD", "")',
          'z.close()',
        ].join('\n'),
        join(projectDir, 'demo_sandbox_pkg-1.0-py3-none-any.whl'),
      ]);
      const requestsSeen: Record<string, string> = { [outside]: '', [privateHost]: '' };
      for (const address of [outside, privateHost]) {
        const server = network.spawnInside('python3', [
          '-u',
          '-c',
          indexServerScript,
          address,
          '8000',
          indexDir,
        ]);
        // http.server logs each request on stderr.
        server.stderr?.on('data', (chunk: Buffer) => {
          requestsSeen[address] += chunk.toString();
        });
        await waitForOutput(server, 'READY');
      }
      const pipInstall = (host: string) =>
        `RUN pip install --no-cache-dir --break-system-packages --retries 0 --timeout 5 --index-url http://${host}:8000/simple/ --trusted-host ${host} demo-sandbox-pkg && python3 -c "import demo_sandbox_pkg; print('PIP-OK', demo_sandbox_pkg.VALUE)"`;
      const builder = createBuildahBuilder({ log, env, storage, sandbox: createTestBuildSandbox() });

      const lines: string[] = [];
      const image = 'localhost/ashapp-sandbox-pip:1';
      images.push(image);
      const contextDir = await writeContext('pip', `FROM ${pipBase.localImage}\n${pipInstall(outside)}\n`);
      await builder
        .build({ contextDir, image, log: (l) => lines.push(l), pull: 'never' })
        .catch((err: Error) => {
          throw new Error(`${err.message}\n${lines.join('\n')}`);
        });
      assert.ok(lines.includes('PIP-OK 42'), lines.join('\n'));
      assert.match(requestsSeen[outside] ?? '', /GET \/simple\/demo-sandbox-pkg\//);

      const privateContext = await writeContext(
        'pip-private',
        `FROM ${pipBase.localImage}\n${pipInstall(privateHost)}\n`,
      );
      const privateLines: string[] = [];
      await assert.rejects(
        builder.build({
          contextDir: privateContext,
          image: 'localhost/ashapp-sandbox-pip-private:1',
          log: (l) => privateLines.push(l),
          pull: 'never',
        }),
        UpstreamError,
      );
      assert.ok(!privateLines.includes('PIP-OK 42'));
      assert.doesNotMatch(requestsSeen[privateHost] ?? '', /GET/, 'the private index saw no request');
    });

    test('memory, process, CPU and file-size limits hold a build that tries to exceed them', async () => {
      const sandbox = createTestBuildSandbox({
        limits: { memoryBytes: 256 * 1024 * 1024, pids: 300, cpus: 0.25, maxFileBytes: 32 * 1024 * 1024 },
      });
      const builder = createBuildahBuilder({ log, env, storage, sandbox });

      const threadsConfig = JSON.stringify({
        targets: [],
        host_pid: process.pid,
        threads: 2000,
        busy_seconds: 2,
      });
      const threadsContext = await writeContext(
        'threads',
        `FROM ${base.localImage}\nCOPY escape_probe.py /escape_probe.py\nRUN ${JSON.stringify(['python3', '/escape_probe.py', threadsConfig])}\n`,
      );
      const lines: string[] = [];
      images.push('localhost/ashapp-sandbox-threads:1');
      await builder.build({
        contextDir: threadsContext,
        image: 'localhost/ashapp-sandbox-threads:1',
        log: (l) => lines.push(l),
        pull: 'never',
      });
      const probe = JSON.parse(lines.find((l) => l.startsWith('PROBE '))?.slice(6) ?? '{}') as Probe;
      assert.ok(
        probe.threads_started > 10 && probe.threads_started < 300,
        `threads started: ${probe.threads_started}`,
      );
      // Two spinning processes for 2 s of wall time get at most a quarter of a CPU (plus scheduling slack).
      assert.ok((probe.busy_wall ?? 0) >= 2);
      assert.ok(
        (probe.busy_cpu ?? Infinity) <= 0.25 * (probe.busy_wall ?? 0) * 1.5 + 0.1,
        `CPU seconds ${probe.busy_cpu} in ${probe.busy_wall} s`,
      );

      const memoryContext = await writeContext(
        'memory',
        `FROM ${base.localImage}\nRUN python3 -c "b = bytearray(600 * 1024 * 1024); print('ALLOCATED', len(b))"\n`,
      );
      const memoryLines: string[] = [];
      await assert.rejects(
        builder.build({
          contextDir: memoryContext,
          image: 'localhost/ashapp-sandbox-memory:1',
          log: (l) => memoryLines.push(l),
          pull: 'never',
        }),
        (err: unknown) =>
          err instanceof UpstreamError && /ran out of memory \(the limit is 256 MiB\)/.test(err.message),
      );
      assert.ok(!memoryLines.some((l) => l.startsWith('ALLOCATED')));

      const fileContext = await writeContext(
        'file',
        `FROM ${base.localImage}\nRUN python3 -c "open('/big', 'wb').write(b'x' * 64 * 1024 * 1024); print('WROTE')"\n`,
      );
      const fileLines: string[] = [];
      await assert.rejects(
        builder.build({
          contextDir: fileContext,
          image: 'localhost/ashapp-sandbox-file:1',
          log: (l) => fileLines.push(l),
          pull: 'never',
        }),
        UpstreamError,
      );
      assert.ok(!fileLines.includes('WROTE'));
    });

    test('a build that writes past its disk limit fails with that reason; the same build within it passes', async () => {
      // Files well under the per-file cap: only the total can stop this build.
      const sandbox = createTestBuildSandbox({
        limits: { maxDiskBytes: 400 * 1024 * 1024, maxFileBytes: 1024 * 1024 * 1024 },
      });
      // Other test files build in the same storage folder meanwhile: this test tracks its own workspaces.
      const workspaces: string[] = [];
      const tracked: BuildSandbox = {
        ...sandbox,
        async createWorkspace() {
          const workspace = await sandbox.createWorkspace();
          workspaces.push(workspace.dir);
          return workspace;
        },
      };
      const builder = createBuildahBuilder({ log, env, storage, sandbox: tracked });
      const writer = (files: number) =>
        `RUN python3 -c "import os; [open(f'/fill-{i}', 'wb').write(os.urandom(50 * 1024 * 1024)) for i in range(${files})]; print('WROTE ALL')"`;
      const fullContext = await writeContext('disk-full', `FROM ${base.localImage}\n${writer(10)}\n`);
      const fullLines: string[] = [];
      await assert.rejects(
        builder.build({
          contextDir: fullContext,
          image: 'localhost/ashapp-sandbox-disk-full:1',
          log: (l) => fullLines.push(l),
          pull: 'never',
        }),
        (err: unknown) =>
          err instanceof UpstreamError && /wrote more than its disk limit of 400 MiB/.test(err.message),
      );
      assert.ok(!fullLines.includes('WROTE ALL'), 'the writes past the limit were refused');

      const fitContext = await writeContext('disk-fits', `FROM ${base.localImage}\n${writer(1)}\n`);
      const image = 'localhost/ashapp-sandbox-disk-fits:1';
      images.push(image);
      const fitLines: string[] = [];
      const result = await builder.build({
        contextDir: fitContext,
        image,
        log: (l) => fitLines.push(l),
        pull: 'never',
      });
      assert.ok(fitLines.includes('WROTE ALL'));
      assert.ok(result.imageId);
      // Nothing of either build stays mounted or on disk in the build user's folder.
      assert.equal(workspaces.length, 2);
      const mounts = await readFile('/proc/self/mountinfo', 'utf8');
      for (const dir of workspaces) {
        assert.ok(!mounts.includes(` ${dir} `), `no build disk left mounted at ${dir}`);
        assert.equal(existsSync(dir), false, 'no build folder left');
        assert.equal(existsSync(`${dir}.img`), false, 'no disk image left');
      }
    });

    test('at start, build disks a SIGKILLed deployer left mounted are unmounted and removed; a live one stays', async () => {
      const sandbox = createTestBuildSandbox({ limits: { maxDiskBytes: 64 * 1024 * 1024 } });
      const status = await sandbox.status();
      assert.ok(status.ready);
      const buildsDir = join(testBuildStorageDir, 'builds');
      const exited = spawn('true', [], { stdio: 'ignore' });
      await new Promise((resolve) => exited.once('exit', resolve));
      const dead = join(buildsDir, `${exited.pid}.12345-${'ab'.repeat(8)}`);
      const disk = await mountBuildDisk({
        image: `${dead}.img`,
        dir: dead,
        bytes: 64 * 1024 * 1024,
        uid: status.user.uid,
        gid: status.user.gid,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      const live = await sandbox.createWorkspace();
      try {
        const removed = await sandbox.sweepStaleWorkspaces();
        assert.ok(
          removed.includes(basename(dead)) && removed.includes(`${basename(dead)}.img`),
          removed.join(', '),
        );
        assert.ok(!removed.includes(basename(live.dir)));
        const mounts = await readFile('/proc/self/mountinfo', 'utf8');
        assert.ok(!mounts.includes(` ${dead} `), 'the stale disk is unmounted');
        assert.equal(existsSync(dead), false);
        assert.equal(existsSync(`${dead}.img`), false);
        assert.ok(mounts.includes(` ${live.dir} `), 'a live build keeps its disk');
      } finally {
        await live.remove();
        if (existsSync(dead)) await disk.remove();
      }
    });

    test('a build over its time limit is stopped and leaves no process, cgroup or network behind', async () => {
      const marker = `sandbox-sleep-${process.pid}-${Date.now()}`;
      const contextDir = await writeContext(
        'slow',
        `FROM ${base.localImage}\nRUN python3 -c "import time; time.sleep(120)" ${marker}\n`,
      );
      const builder = createBuildahBuilder({ log, env, storage, sandbox: createTestBuildSandbox() });
      const ownPids =
        (await readFile('/proc/self/cgroup', 'utf8'))
          .split('\n')
          .find((l) => l.split(':')[1] === 'pids')
          ?.split(':')[2] ?? '/';
      const readBuildGroups = async () =>
        (await readdir(join('/sys/fs/cgroup/pids', ownPids))).filter((n) => n.startsWith('ashapp-build-'));
      // Groups of builds that were not this one's (another test's, a deployer killed mid-build) are not its
      // business: only what this build created must be gone.
      const groupsBefore = new Set(await readBuildGroups());
      const started = Date.now();
      await assert.rejects(
        builder.build({
          contextDir,
          image: 'localhost/ashapp-sandbox-slow:1',
          log: () => undefined,
          pull: 'never',
          timeoutMs: 4000,
        }),
        /timed out/,
      );
      assert.ok(Date.now() - started < 20_000);
      const leftovers: string[] = [];
      for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.includes(marker)) leftovers.push(pid);
      }
      assert.deepEqual(leftovers, []);
      const groups = (await readBuildGroups()).filter((name) => !groupsBefore.has(name));
      assert.deepEqual(groups, []);
    });

    test('answers with what is missing when the sandbox cannot run here, and runs nothing', async () => {
      const sandbox = createBuildSandbox({
        log,
        path: join(work, 'empty-path'),
        policy: createAddressPolicy(),
        limits: { memoryBytes: 1 << 30, cpus: 1, pids: 100, maxFileBytes: 1 << 30, maxDiskBytes: 1 << 30 },
        user: 'nobody-has-this-user',
        storageDir: join(work, 'storage'),
      });
      const status = await sandbox.status();
      assert.equal(status.ready, false);
      const problems = status.ready ? '' : status.problems.join('\n');
      assert.match(
        problems,
        /missing unshare, nsenter, prlimit, ip, nft, slirp4netns, cgexec, setpriv, newuidmap, newgidmap/,
      );
      assert.match(problems, /apt-get install util-linux iproute2 nftables slirp4netns cgroup-tools uidmap/);
      assert.match(problems, /no system user "nobody-has-this-user" with subordinate id ranges/);
      await assert.rejects(
        sandbox.run({ command: 'true', args: [], env: {}, timeoutMs: 1000, network: 'none', asUser: true }),
        SandboxUnavailableError,
      );
    });
  },
);
