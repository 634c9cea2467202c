/** Builds the deployer app in-process for route and pipeline tests: a fresh SQLite database, a real outbox. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAuditOutbox,
  createAuditOutboxMigrations,
  createDatabase,
  createServiceClient,
  identityHeader,
  runMigrations,
  signIdentity,
  type AuditEvent,
  type AuditOutbox,
  type Database,
  type Role,
} from '@ashapp/platform';
import { createCapturingLogger, createTestDatabase, type TestDatabase } from '@ashapp/platform/testing';
import { sql, type Kysely } from 'kysely';
import { buildApp, type DeployerApp, type DeployerAppConfig, type DeployerAppDeps } from '../src/app.ts';
import type { BuildRequest, ImageBuilder, PushRequest } from '../src/build/image-builder.ts';
import { createDeployerMigrations, type DeployerTables } from '../src/deployments/deployments-repository.ts';
import type { KubeObject } from '../src/manifests/render-manifests.ts';
import type {
  AppRef,
  ApplyOptions,
  DeployTarget,
  FollowOptions,
  RolloutResult,
  WorkloadRef,
} from '../src/targets/deploy-target.ts';
import { findWorkload } from '../src/targets/deploy-target.ts';

export const testSecret = 'deployer-test-secret-'.padEnd(43, 'x');

export const helloCode = `from flask import Flask

app = Flask(__name__)

@app.route("/<name>")
def hello(name):
    return f"Hello, {name}!"

if __name__ == "__main__":
    # Runs on port 5000 (can be changed)
    app.run(host="0.0.0.0", port=5000, debug=True)
`;

export const users = {
  alice: 'arn:aws:iam::111111111111:user/alice',
  bob: 'arn:aws:iam::111111111111:user/bob',
  admin: 'arn:aws:iam::111111111111:user/admin',
};

export function identityHeaders(
  userId: string,
  roles: Role[] = ['user'],
  sessionId = `session-of-${userId}`,
) {
  return {
    [identityHeader]: signIdentity(
      { userId, roles, requestId: `req-${randomBytes(4).toString('hex')}`, sessionId },
      testSecret,
    ),
  };
}

/** A fake builder (route tests check what is asked of it, not buildah itself): records calls, can be held. */
export interface FakeBuilder extends ImageBuilder {
  builds: BuildRequest[];
  pushes: PushRequest[];
  /** While set, builds wait until `release()` (or their abort signal). */
  hold(): void;
  release(): void;
}

export function createFakeBuilder(): FakeBuilder {
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const builds: BuildRequest[] = [];
  const pushes: PushRequest[] = [];
  return {
    name: 'buildah',
    builds,
    pushes,
    available: async () => true,
    async build(request) {
      builds.push(request);
      request.log('STEP 1/6: FROM base (fake builder)');
      if (gate) {
        const waiting = gate.promise;
        await new Promise<void>((resolve, reject) => {
          request.signal?.addEventListener(
            'abort',
            () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
            { once: true },
          );
          void waiting.then(resolve);
        });
      }
      request.log('COMMIT (fake builder)');
      return { imageId: 'sha256:fake', durationMs: 1 };
    },
    async push(request) {
      pushes.push(request);
      request.log('Writing manifest to image destination (fake builder)');
      return { digest: 'sha256:0000', durationMs: 1 };
    },
    removeImage: async () => undefined,
    hold() {
      let open = () => undefined as void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
  };
}

/**
 * A fake podman-like target for route tests: records what is applied and deleted, serves each app on a
 * loopback HTTP server (so the Testing step's HTTP check is real), and fails the rollout of images the
 * test names.
 */
export interface FakeTarget extends DeployTarget {
  applied: Array<{ objects: KubeObject[]; options: ApplyOptions }>;
  deleted: AppRef[];
  failingImages: Set<string>;
  /** What the app printed before failing, per failing image (readLogs answers it). */
  failureOutput: Map<string, string[]>;
  /** Image currently running per `namespace/app`. */
  running: Map<string, string>;
  close(): Promise<void>;
}

export async function createFakeTarget(): Promise<FakeTarget> {
  const running = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const [, namespace, app, ...rest] = (req.url ?? '/').split('/');
    const image = running.get(`${namespace}/${app}`);
    if (!image) return void res.writeHead(503).end('not running');
    if (rest.join('/') === 'healthz') return void res.writeHead(200).end('ok\n');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`served by ${image}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const target: FakeTarget = {
    name: 'podman',
    applied: [],
    deleted: [],
    failingImages: new Set(),
    failureOutput: new Map(),
    running,
    available: async () => true,
    async apply(objects, options) {
      target.applied.push({ objects: structuredClone([...objects]), options });
      const workload = findWorkload(objects)!;
      const appName = workload.metadata.labels?.['app.kubernetes.io/name'] ?? workload.metadata.name;
      const image = (workload.spec as { template: { spec: { containers: Array<{ image: string }> } } })
        .template.spec.containers[0]!.image;
      running.set(`${options.namespace}/${appName}`, image);
      return {
        workload: {
          appName,
          namespace: options.namespace,
          owner: options.owner,
          kind: workload.kind as 'Deployment',
          name: workload.metadata.name,
        },
        applied: [`pod/${options.namespace}-${appName} played (fake)`],
      };
    },
    async followRollout(workload: WorkloadRef, _options: FollowOptions): Promise<RolloutResult> {
      const image = running.get(`${workload.namespace}/${workload.appName}`);
      if (image && target.failingImages.has(image))
        return { ok: false, reason: 'CrashLoopBackOff', message: 'container exited with code 1' };
      return { ok: true, readyReplicas: 1 };
    },
    async readLogs(workload) {
      const image = running.get(`${workload.namespace}/${workload.appName}`);
      return (image && target.failureOutput.get(image)) || [];
    },
    async readUrl(app) {
      return running.has(`${app.namespace}/${app.appName}`)
        ? { url: `http://127.0.0.1:${port}/${app.namespace}/${app.appName}/` }
        : undefined;
    },
    async delete(app) {
      target.deleted.push(app);
      running.delete(`${app.namespace}/${app.appName}`);
    },
    async readStatus(app) {
      return running.has(`${app.namespace}/${app.appName}`) ? 'running' : 'missing';
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return target;
}

export interface TestDeployer extends DeployerApp {
  database: Database<DeployerTables>;
  audit: AuditOutbox;
  logLines: string[];
  workDir: string;
  auditEvents(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function startTestDeployer(
  options: Partial<Omit<DeployerAppDeps, 'config' | 'log' | 'database' | 'audit'>> & {
    config?: Partial<DeployerAppConfig>;
    target: DeployTarget;
  },
): Promise<TestDeployer> {
  const testDb: TestDatabase = await createTestDatabase('sqlite');
  const workDir = await mkdtemp(join(tmpdir(), 'ashapp-deployer-test-'));
  const database = createDatabase<DeployerTables>({ url: testDb.url });
  await runMigrations(database.db, 'deployer', createDeployerMigrations(database.dialect));
  await runMigrations(database.db, 'audit_outbox', createAuditOutboxMigrations(database.dialect));
  const { log, lines } = createCapturingLogger('deployer');
  // Nothing listens here: audit events wait in the outbox (the tests read them), history calls fail fast.
  const nowhere = (name: string) =>
    createServiceClient({
      name,
      baseUrl: 'http://127.0.0.1:9',
      identitySecret: testSecret,
      log,
      retries: 0,
      timeoutMs: 500,
    });
  const audit = createAuditOutbox({ database, service: 'deployer', monitor: nowhere('monitor'), log });
  const config: DeployerAppConfig = {
    internalAuthSecret: testSecret,
    encryptionKey: randomBytes(32),
    insecureRegistries: [],
    registryLoginTtlMs: 3_600_000,
    ecrEndpoint: undefined,
    allowLocalGit: true,
    python: '/usr/bin/python3',
    baseImage: 'docker.io/library/python:3.12-slim',
    baseImageHasRuntime: false,
    workDir,
    rolloutTimeoutMs: 10_000,
    buildTimeoutMs: 60_000,
    stabilityWindowMs: 20,
    kubernetesHttpCheck: false,
    sseHeartbeatMs: 200,
    childEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir },
    // Route tests deploy into shared namespaces too; each user also has their own.
    namespaces: { perUser: true, shared: ['default', 'team-a'], platform: 'ashapp' },
    leaseMs: 30_000,
    streamPollMs: 100,
    ...options.config,
  };
  const built = await buildApp({
    history: options.history ?? nowhere('history'),
    builder: options.builder,
    // Route tests use a fake builder and local repositories; the sandbox has its own tests.
    sandbox: options.sandbox ?? 'none',
    ...options,
    config,
    log,
    database,
    audit,
  });
  await built.app.ready();
  return {
    ...built,
    database,
    audit,
    logLines: lines,
    workDir,
    async auditEvents() {
      const db = database.db as unknown as Kysely<{ audit_outbox: { payload: string; created_at: number } }>;
      // Several events share a millisecond: rowid (SQLite's insertion order) breaks the tie.
      const rows = await db
        .selectFrom('audit_outbox')
        .select('payload')
        .orderBy('created_at')
        .orderBy(sql`rowid`)
        .execute();
      return rows.map((r) => JSON.parse(r.payload) as AuditEvent);
    },
    async close() {
      await built.runner.stop();
      await built.app.close();
      await database.close();
      await testDb.drop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
