// Deployer: the platform's own overhead of a deploy to the podman target (total minus build and push),
// and a redeploy of unchanged code (layer cache). Real buildah, docker-registry with htpasswd, podman.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityHeader, signIdentity } from '@ashapp/platform';
import { getFreePort, startServiceProcess } from '@ashapp/platform/testing';
import { ensureTestBaseImage } from '../apps/deployer/test/base-image.ts';
import { readTestChildEnv, readTestStorage } from '../apps/deployer/test/containers-env.ts';
import { startLocalRegistry } from '../apps/deployer/test/local-registry.ts';
import { readStorageArgs } from '../apps/deployer/src/build/buildah-builder.ts';
import { runCommand } from '../apps/deployer/src/process/run-command.ts';
import { readUserNamespace } from '../apps/deployer/src/validation/namespace-policy.ts';
import type { BenchContext, BenchRow } from './lib.ts';

const secret = 'b'.repeat(43);
const user = 'arn:aws:iam::123456789012:user/bench';

interface Detail {
  state: string;
  error: string | null;
  image: string | null;
  events: Array<{ kind: string; stage: string; at: string }>;
}

const code = (marker: string) => `from flask import Flask

app = Flask(__name__)

@app.route("/<name>")
def hello(name):
    return f"Hello, {name}! (${marker})"
`;

export async function benchDeployer(ctx: BenchContext): Promise<BenchRow[]> {
  const env = readTestChildEnv();
  const storage = readTestStorage();
  const registry = await startLocalRegistry();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-bench-deployer-'));
  const base = await ensureTestBaseImage({ env, storage });
  const port = await getFreePort();
  const svc = await startServiceProcess({
    entry: fileURLToPath(new URL('../apps/deployer/src/main.ts', import.meta.url)),
    port,
    timeoutMs: 30_000,
    env: {
      DEPLOYER_PORT: String(port),
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      MONITOR_URL: 'http://127.0.0.1:9',
      HISTORY_URL: 'http://127.0.0.1:9',
      DEPLOYER_BUILDER: 'buildah',
      DEPLOYER_TARGET: 'podman',
      DEPLOYER_BASE_IMAGE: base.localImage,
      DEPLOYER_BASE_IMAGE_HAS_RUNTIME: 'true',
      DEPLOYER_INSECURE_REGISTRIES: registry.host,
      DEPLOYER_CONTAINERS_ROOT: storage.root,
      DEPLOYER_CONTAINERS_RUNROOT: storage.runroot,
      // Measured without the host build sandbox (ADR 0008): the figures are the platform's own steps and
      // buildah's, not the sandbox's namespaces, cgroups and loop disk, which the sandbox tests cover.
      DEPLOYER_BUILD_SANDBOX: 'off',
      // The deliberate stability wait is not overhead: measured without it.
      DEPLOYER_STABILITY_WINDOW_MS: '0',
      LOG_LEVEL: 'warn',
    },
  });
  const identity = () => ({
    [identityHeader]: signIdentity({ userId: user, roles: ['user'], requestId: `bench-${Date.now()}`, sessionId: 'bench' }, secret),
  });
  const headers = () => ({ 'content-type': 'application/json', ...identity() });
  // Every user deploys into a namespace of their own (ADR 0009); the bench user too.
  const namespace = readUserNamespace(user);
  const images: string[] = [];
  const rows: BenchRow[] = [];
  try {
    const login = await fetch(`${svc.url}/deployer-api/docker-login`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ docker_user: registry.username, docker_token: registry.password, registry: registry.host }),
    });
    if (login.status !== 200) throw new Error(`registry sign-in failed: ${login.status}`);

    async function deploy(source: string): Promise<{ totalMs: number; detail: Detail }> {
      const started = performance.now();
      const res = await fetch(`${svc.url}/deployer-api/deploy`, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({ app_name: 'bench', code: source, namespace, container_port: 5000 }),
      });
      if (res.status !== 202) throw new Error(`deploy refused: ${res.status} ${await res.text()}`);
      const { deployment_id: id } = (await res.json()) as { deployment_id: string };
      for (let i = 0; i < 1200; i += 1) {
        const detail = (await (await fetch(`${svc.url}/deployer-api/deployments/${id}`, { headers: headers() })).json()) as Detail & { finished_at: string | null };
        if (detail.finished_at) {
          if (detail.image) images.push(detail.image);
          if (detail.state !== 'Stable') throw new Error(`deploy ended ${detail.state}: ${detail.error}`);
          return { totalMs: performance.now() - started, detail };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('deploy did not finish in 60 s');
    }

    function breakdown(detail: Detail, totalMs: number) {
      const at = (stage: string) => Date.parse(detail.events.find((e) => e.kind === 'state' && e.stage === stage)?.at ?? '');
      const buildPushMs = at('Deploying') - at('Building');
      const phases = ['Validating', 'Preparing', 'Building', 'Deploying', 'Testing', 'Monitoring', 'Stable'];
      const parts = phases.slice(0, -1).map((p, i) => `${p} ${((at(phases[i + 1]!) - at(p)) / 1000).toFixed(2)} s`);
      const applyMs = at('Testing') - at('Deploying');
      // What is left once build, push and podman's own kube play + app start are taken away.
      const ownMs = totalMs - buildPushMs - applyMs;
      return { buildPushMs, overheadMs: totalMs - buildPushMs, parts: `${parts.join(', ')}; deployer's own steps (request, checks, records, HTTP test) ${(ownMs / 1000).toFixed(2)} s, the rest of Deploying is podman kube play --replace and the app starting` };
    }

    ctx.log('deployer: first deploy (new code)');
    const first = await deploy(code(`cold ${Date.now()}`));
    const a = breakdown(first.detail, first.totalMs);
    rows.push({
      scenario: 'deploy pasted code to podman (build, push, kube play, HTTP check)',
      engine: 'buildah + podman, sandbox off',
      p50Ms: a.overheadMs,
      note: `platform overhead ${(a.overheadMs / 1000).toFixed(2)} s (p50 column) = total ${(first.totalMs / 1000).toFixed(2)} s − build+push ${(a.buildPushMs / 1000).toFixed(2)} s; stages: ${a.parts}`,
    });
    const same = code(`warm ${Date.now()}`);
    await deploy(same);
    ctx.log('deployer: redeploy of unchanged code');
    const again = await deploy(same);
    const b = breakdown(again.detail, again.totalMs);
    rows.push({
      scenario: 'redeploy of unchanged code (layer cache)',
      engine: 'buildah + podman, sandbox off',
      p50Ms: again.totalMs,
      note: `total ${(again.totalMs / 1000).toFixed(2)} s (p50 column); build+push ${(b.buildPushMs / 1000).toFixed(2)} s vs ${(a.buildPushMs / 1000).toFixed(2)} s for new code; platform overhead ${(b.overheadMs / 1000).toFixed(2)} s; stages: ${b.parts}`,
    });
    const deleted = await fetch(`${svc.url}/deployer-api/apps/bench?namespace=${namespace}`, { method: 'DELETE', headers: identity() });
    if (deleted.status !== 200) throw new Error(`delete failed: ${deleted.status} ${await deleted.text()}`);
  } finally {
    await svc.stop(30_000);
    const storageArgs = readStorageArgs(storage);
    // Backstop for a run that failed half-way: pods are named `<namespace>-<app>-pod…` by podman kube play.
    const pods = await runCommand({ command: 'podman', args: [...storageArgs, 'pod', 'ps', '--format', '{{.Name}}'], env, timeoutMs: 60_000 });
    for (const pod of pods.stdout.split('\n').filter((n) => n.startsWith(`${namespace}-bench`))) {
      await runCommand({ command: 'podman', args: [...storageArgs, 'pod', 'rm', '-f', pod], env, timeoutMs: 60_000 }).catch(() => undefined);
    }
    for (const image of images) {
      await runCommand({ command: 'buildah', args: [...storageArgs, 'rmi', '-f', image], env, timeoutMs: 60_000 }).catch(() => undefined);
    }
    await registry.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
