import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort } from '@ashapp/platform/testing';
import { ensureTestBaseImage } from '../../../apps/deployer/test/base-image.ts';
import { startKubeStandIn, type KubeStandIn } from '../../../apps/deployer/test/kube-stand-in.ts';
import { startLocalRegistry, type LocalRegistry } from '../../../apps/deployer/test/local-registry.ts';
import { helloCode } from '../../../apps/deployer/test/service-harness.ts';
import { readEventStream } from '../../../apps/deployer/test/sse.ts';
import { run } from './base-images.ts';
import { podmanSecurityArgs, readComposeSecurity, readKubernetesUser } from './shipped-settings.ts';
import {
  buildImages,
  inspectImage,
  prepareTools,
  serviceNames,
  type BuiltImages,
  type ServiceName,
} from './images.ts';

/**
 * The whole platform from its images: every target of deploy/images/Containerfile built here with buildah
 * (bases assembled from the npm registry's Node 24 and Debian packages), the five containers run by podman
 * on the host network with read-only root filesystems as uid 1000, the AWS stand-in (STS for sign-in, EC2
 * for the CLI), a docker-registry and a Kubernetes API stand-in on loopback. Sign-in through the gateway,
 * a read-only ask run by the AWS CLI inside the assistant image, the history entry, the audit events, and a
 * deploy of the Flask sample built by buildah inside the deployer container and pushed to the registry.
 */

const alice = {
  accessKeyId: 'AKIASTANDINCONTAINER1',
  secretAccessKey: 'containers-alice-secret-key-00000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  userId: 'AIDACONTAINERALICE001',
};
const internalSecret = 'containers-test-internal-secret-'.padEnd(48, 'x');
const kubeToken = 'containers-test-kube-token';
/**
 * Every container runs with the security settings compose.yaml ships (read-only root, no new privileges,
 * all capabilities dropped; the deployer adds what rootless buildah needs, measured in docs/adr/0026), so
 * the shipped setting is the tested one.
 */
const securityArgs = (service: ServiceName) => podmanSecurityArgs(readComposeSecurity(service));
/** The uid the images run as, the same one the Kubernetes Deployments give (checked below). */
const nodeUid = 1000;

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the platform from its container images (buildah, podman)', { timeout: 45 * 60_000 }, () => {
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  let tools: Awaited<ReturnType<typeof prepareTools>>;
  let built: BuiltImages;
  let standIn: AwsStandIn | undefined;
  let registry: LocalRegistry | undefined;
  let kube: KubeStandIn | undefined;
  let workDir = '';
  const containers: string[] = [];
  const ports = {} as Record<ServiceName, number>;
  let token = '';

  const gatewayUrl = () => `http://127.0.0.1:${ports.gateway}`;
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${gatewayUrl()}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const logsOf = async (name: string) =>
    run('podman', ['logs', '--tail', '60', name], { env: tools.env }).catch((err: Error) => err.message);

  before(async () => {
    tools = await prepareTools();
    built = await buildImages(tools, `test-${runId}`);
    const sizes = serviceNames.map((s) => `${s} ${Math.round(built.sizes[s] / 1e6)} MB`).join(', ');
    console.log(`# images built in ${built.seconds} s: ${sizes}`);

    standIn = await startAwsStandIn({ users: [alice], buckets: ['demo-assets'] });
    registry = await startLocalRegistry();
    kube = await startKubeStandIn({ token: kubeToken });
    const pybase = await ensureTestBaseImage({ env: tools.env, storage: tools.storage, registry });
    assert.ok(pybase.registryImage, 'the Flask base is in the registry for the deployer to pull');

    workDir = await mkdtemp(path.join(tmpdir(), 'ashapp-containers-'));
    const kubeconfig = path.join(workDir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        // The client refuses plain http unless TLS checks are off; the stand-in speaks http on loopback.
        'clusters: [{name: stand-in, cluster: {server: "' + kube.url + '", insecure-skip-tls-verify: true}}]',
        `users: [{name: deployer, user: {token: "${kubeToken}"}}]`,
        'contexts: [{name: stand-in, context: {cluster: stand-in, user: deployer}}]',
        'current-context: stand-in',
        '',
      ].join('\n'),
    );
    await chmod(kubeconfig, 0o644);
    for (const service of serviceNames) ports[service] = await getFreePort();
    const urls = Object.fromEntries(
      serviceNames.map((s) => [`${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s]}`]),
    );
    const own: Record<ServiceName, Record<string, string>> = {
      monitor: {},
      history: {},
      assistant: { ASSISTANT_AWS_ENDPOINT_URL: standIn.url },
      deployer: {
        DEPLOYER_BUILDER: 'buildah',
        DEPLOYER_TARGET: 'kubernetes',
        KUBECONFIG: '/etc/ashapp/kubeconfig',
        DEPLOYER_KUBERNETES_HTTP_CHECK: 'false',
        DEPLOYER_BASE_IMAGE: pybase.registryImage!,
        DEPLOYER_BASE_IMAGE_HAS_RUNTIME: 'true',
        DEPLOYER_INSECURE_REGISTRIES: registry.host,
        DEPLOYER_STABILITY_WINDOW_MS: '1000',
        DEPLOYER_ROLLOUT_TIMEOUT_MS: '60000',
        DEPLOYER_NAMESPACES: 'default',
        // The host build sandbox cannot run inside the container (ADR 0008, 0012): the operator's explicit
        // choice, as compose.yaml documents it.
        DEPLOYER_BUILD_SANDBOX: 'off',
      },
      // Listening on 0.0.0.0 in the image, the gateway starts only with an allow-list.
      gateway: { AWS_ENDPOINT_URL_STS: standIn.url, SIGN_IN_ALLOWED_ACCOUNTS: alice.account },
    };
    for (const service of serviceNames) {
      const dataDir = path.join(workDir, service);
      await mkdir(dataDir, { mode: 0o700 });
      // buildah (rootless) keeps its runtime files under $HOME/rundir when there is no XDG_RUNTIME_DIR.
      if (service === 'deployer') await mkdir(path.join(dataDir, 'rundir'), { mode: 0o700 });
      await run('chown', ['-R', `${nodeUid}:${nodeUid}`, dataDir], { env: tools.env });
      const name = `ashapp-ct-${service}-${runId}`;
      if (service === 'deployer') {
        // The deployer pulls a build's base image without registry credentials: put the Flask base into
        // its store first, with the deployer image's own buildah under the same user and capabilities.
        await run(
          'podman',
          [
            'run',
            '--rm',
            '--network',
            'host',
            '--read-only',
            ...securityArgs('deployer'),
            '-v',
            `${dataDir}:/data`,
            '--entrypoint',
            'buildah',
            built.images.deployer,
            '--root',
            '/data/containers/storage',
            '--runroot',
            '/tmp/containers-run',
            'pull',
            '--tls-verify=false',
            '--creds',
            `${registry.username}:${registry.password}`,
            `docker://${pybase.registryImage!}`,
          ],
          { env: tools.env },
        );
      }
      const env = {
        [`${service.toUpperCase()}_PORT`]: String(ports[service]),
        HOST: '127.0.0.1',
        INTERNAL_AUTH_SECRET: internalSecret,
        LOG_LEVEL: 'info',
        ...urls,
        ...own[service],
      };
      const args = [
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        '--read-only',
        ...securityArgs(service),
        '-v',
        `${dataDir}:/data`,
        ...(service === 'deployer' ? ['-v', `${kubeconfig}:/etc/ashapp/kubeconfig:ro`] : []),
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        built.images[service],
      ];
      containers.push(name);
      await run('podman', args, { env: tools.env });
    }
    for (const service of serviceNames) {
      await waitFor(
        `${service} /ready`,
        async () => {
          const res = await fetch(`http://127.0.0.1:${ports[service]}/ready`, {
            signal: AbortSignal.timeout(2000),
          });
          await res.arrayBuffer();
          return res.status === 200 ? true : undefined;
        },
        60_000,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await logsOf(`ashapp-ct-${service}-${runId}`)}`);
      });
    }
  });

  after(async () => {
    for (const name of containers)
      await run('podman', ['rm', '-f', '-t', '5', name], { env: tools.env }).catch(() => undefined);
    await kube?.stop();
    await registry?.stop();
    await standIn?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    if (built) {
      for (const image of Object.values(built.images))
        await run('podman', ['rmi', '-f', image], { env: tools.env }).catch(() => undefined);
    }
  });

  test('every image runs node (no tsx) under tini as uid 1000 with a healthcheck and OCI labels', async () => {
    for (const service of serviceNames) {
      const config = await inspectImage(tools, built.images[service]);
      assert.equal(config.User, `${nodeUid}:${nodeUid}`, service);
      assert.equal(
        config.User,
        readKubernetesUser(service),
        `${service}: image USER = Deployment runAsUser:runAsGroup`,
      );
      assert.deepEqual(config.Entrypoint, ['/usr/local/bin/tini', '--', 'node'], service);
      assert.deepEqual(config.Cmd, [`apps/${service}/dist/main.js`], service);
      assert.deepEqual(config.Healthcheck?.Test, ['CMD', 'node', '/app/healthcheck.mjs', service], service);
      // Present, not compared with this run's: buildah 1.28 with --layers reuses a cached final image and
      // its labels when nothing else changed (docs/adr/0012).
      for (const label of ['version', 'revision', 'source'])
        assert.ok(config.Labels[`org.opencontainers.image.${label}`], `${service} has no ${label} label`);
      const listing = await run(
        'podman',
        [
          'run',
          '--rm',
          '--network',
          'none',
          '--entrypoint',
          'node',
          built.images[service],
          '-e',
          "const fs=require('fs');console.log(JSON.stringify({tsx:fs.existsSync('/app/node_modules/tsx')||fs.existsSync('/app/apps/" +
            service +
            "/dist/node_modules/tsx'),typescript:fs.existsSync('/app/apps/" +
            service +
            "/dist/node_modules/typescript'),version:process.version}))",
        ],
        { env: tools.env },
      );
      const facts = JSON.parse(listing.trim()) as { tsx: boolean; typescript: boolean; version: string };
      assert.equal(facts.tsx, false, `${service} image has tsx`);
      assert.equal(facts.typescript, false, `${service} image has typescript`);
      assert.match(facts.version, /^v24\./, `${service} runs Node 24`);
    }
  });

  test('the image health check command passes in every running service', async () => {
    // `podman healthcheck run` needs systemd timers, which this machine lacks: run the same command.
    for (const service of serviceNames) {
      const config = await inspectImage(tools, built.images[service]);
      const command = config.Healthcheck!.Test.slice(1);
      const name = `ashapp-ct-${service}-${runId}`;
      await run('podman', ['exec', name, ...command], { env: tools.env });
    }
  });

  test('sign-in through the gateway container is verified by STS on the stand-in', async () => {
    const wrong = await api('POST', '/api/login', {
      access_key: alice.accessKeyId,
      secret_key: 'not-the-secret-key-000000000000000000000',
      region: 'us-east-1',
    });
    assert.equal(wrong.status, 401, wrong.text);
    const res = await api('POST', '/api/login', {
      access_key: alice.accessKeyId,
      secret_key: alice.secretAccessKey,
      region: 'us-east-1',
    });
    assert.equal(res.status, 200, res.text);
    token = String(res.json.token);
    const user = await api('GET', '/api/user');
    assert.equal(user.json.arn, alice.arn);
    const page = await fetch(`${gatewayUrl()}/login`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">|<script/);
  });

  test('a read-only ask is run by the AWS CLI inside the assistant image, kept in history and audited', async () => {
    const callsBefore = standIn!.calls.filter((c) => c.action === 'DescribeInstances').length;
    const res = await api('POST', '/api/ask', { query: 'list ec2 instance ids' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.confirmation_needed, false);
    assert.match(res.text, /i-0a1b2c3d4e5f60001/);
    assert.ok(
      standIn!.calls.filter((c) => c.action === 'DescribeInstances').length > callsBefore,
      'the CLI in the container called the stand-in',
    );
    const history = await api('GET', '/api/history?limit=20');
    assert.equal(history.status, 200, history.text);
    assert.ok(
      (JSON.parse(history.text) as { query: string }[]).some((e) => e.query === 'list ec2 instance ids'),
    );
    const seen = await waitFor(
      'the audit events of the sign-in and the ask',
      async () => {
        const events = await api('GET', '/api/monitor/events?limit=200');
        const items =
          (events.json as { items?: { service: string; action_type: string; user_id: string }[] }).items ??
          [];
        const actions = new Set(items.map((e) => `${e.service}:${e.action_type}`));
        return ['gateway:login', 'assistant:assistant.ask', 'assistant:assistant.result'].every((a) =>
          actions.has(a),
        )
          ? items
          : undefined;
      },
      20_000,
    );
    assert.ok(seen.filter((e) => e.service === 'assistant').every((e) => e.user_id === alice.arn));
    const all = await api('GET', '/api/monitor/events?limit=200');
    assert.doesNotMatch(all.text, new RegExp(alice.secretAccessKey));
  });

  test('the deployer container builds the Flask sample with buildah, pushes it to the registry and rolls it out', async () => {
    const login = await api('POST', '/deployer-api/docker-login', {
      docker_user: registry!.username,
      docker_token: registry!.password,
      registry: registry!.host,
    });
    assert.equal(login.status, 200, login.text);
    const res = await api('POST', '/deployer-api/deploy', {
      app_name: 'hello',
      code: helloCode,
      k8s_kind: 'Deployment',
      replicas: 1,
      service_type: 'ClusterIP',
      container_port: 5000,
      namespace: 'default',
      strategy: 'rolling',
    });
    assert.equal(res.status, 202, res.text);
    const { messages } = await readEventStream(
      `${gatewayUrl()}/deployer-api/deployments/${String(res.json.deployment_id)}/stream`,
      { authorization: `Bearer ${token}` },
      () => undefined,
      10 * 60_000,
    );
    const done = messages.at(-1);
    const logs = messages.filter((m) => m.event === 'log').map((m) => String(m.data.line));
    assert.equal(
      done?.data.state,
      'Stable',
      `${String(done?.data.error)}\n${logs.slice(-30).join('\n')}\n${await logsOf(`ashapp-ct-deployer-${runId}`)}`,
    );
    // Tags carry a hash of the exact (owner, namespace, app): no other user's app can share one.
    const image = String(done?.data.image);
    assert.match(image, new RegExp(`^${registry!.host.replace(/\./g, '\\.')}/ashapp/hello:r1-[0-9a-f]{12}$`));
    const tag = image.slice(image.lastIndexOf(':') + 1);
    const auth = `Basic ${Buffer.from(`${registry!.username}:${registry!.password}`).toString('base64')}`;
    const tags = await fetch(`${registry!.url}/v2/ashapp/hello/tags/list`, {
      headers: { authorization: auth },
    });
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, [tag]);
    const deployment = kube!.get('apps', 'deployments', 'default', 'hello');
    assert.equal(deployment?.spec?.template?.spec?.containers?.[0]?.image, image);
    const events = await waitFor(
      'the deploy audit event',
      async () => {
        const r = await api('GET', '/api/monitor/events?service=deployer&limit=50');
        const items = (r.json as { items?: { action_type: string }[] }).items ?? [];
        return items.length > 0 ? items : undefined;
      },
      20_000,
    );
    assert.ok(events.length > 0);
  });
});
