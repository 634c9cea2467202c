import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort, waitFor } from '@ashapp/platform/testing';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ensureTestBaseImage } from '../../../apps/deployer/test/base-image.ts';
import { startKubeStandIn, type KubeStandIn } from '../../../apps/deployer/test/kube-stand-in.ts';
import { startLocalRegistry, type LocalRegistry } from '../../../apps/deployer/test/local-registry.ts';
import { helloCode } from '../../../apps/deployer/test/service-harness.ts';
import { readEventStream } from '../../../apps/deployer/test/sse.ts';
import { run } from './base-images.ts';
import {
  composeDir,
  expectedCapabilityMask,
  podmanSecurityArgs,
  readComposeSecurity,
  readKubernetesUser,
} from './shipped-settings.ts';
import {
  buildImages,
  inspectImage,
  prepareTools,
  repoRoot,
  serviceNames,
  type BuiltImages,
  type ServiceName,
} from './images.ts';

/**
 * The whole platform from its images, run by `podman-compose up` from the shipped
 * deploy/compose/compose.yaml: every target of deploy/images/Containerfile built here with buildah (bases
 * assembled from the npm registry's Node 24 and Debian packages), the five containers started by
 * podman-compose on a bridge network the test creates, reaching each other by their compose service names
 * (GATEWAY_URL http://gateway:8080, …), healthy by their images' health checks, with the security settings
 * compose.yaml ships (checked in the running containers). A test-only second file (`-f`) changes only what
 * a test must: the stand-ins' endpoints, deployer knobs for the sample deploy, the network; the settings
 * compose.yaml reads from the environment are given as the README tells an operator to.
 * The AWS stand-in (STS for sign-in, EC2 for the CLI), a docker-registry and a Kubernetes API stand-in
 * listen on that bridge's host address only (a test host on the test's own network, never 0.0.0.0); the
 * gateway is published on 127.0.0.1 only. Sign-in through the gateway, a read-only ask run by the AWS CLI
 * inside the assistant image, the history entry, the audit events, and a deploy of the Flask sample built
 * by buildah inside the deployer container and pushed to the registry. `podman-compose down -v` in `after`.
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
/** The uid the images run as, the same one the Kubernetes Deployments give (checked below). */
const nodeUid = 1000;
const composeFile = path.join(composeDir, 'compose.yaml');
/** What compose.yaml says the services call each other by (kept as shipped: the compose network's names). */
const serviceUrls = {
  GATEWAY_URL: 'http://gateway:8080',
  ASSISTANT_URL: 'http://assistant:8081',
  DEPLOYER_URL: 'http://deployer:8082',
  HISTORY_URL: 'http://history:8083',
  MONITOR_URL: 'http://monitor:8084',
};

/** What `podman inspect` says about a container (the fields checked here). */
interface ContainerFacts {
  State: { Status: string; Health?: { Status: string } };
  Config: {
    User: string;
    Env: string[];
    Labels: Record<string, string>;
    Healthcheck?: { Test: string[] };
  };
  ImageName: string;
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  /** The capability bounding set podman gave the container (null when empty). */
  BoundingCaps: string[] | null;
  HostConfig: {
    SecurityOpt: string[] | null;
    ReadonlyRootfs: boolean;
    Tmpfs?: Record<string, string>;
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null>;
  };
  NetworkSettings: { Networks?: Record<string, { Aliases?: string[] | null }> };
}

describe('the platform from its container images (buildah, podman-compose)', { timeout: 45 * 60_000 }, () => {
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  /** The compose project: every container, volume and network of this run carries it. */
  const project = `ashapp-ct-${runId}`;
  const network = `${project}-net`;
  const bridgeKeeper = `${project}-bridge-keeper`;
  const containerOf = (service: ServiceName) => `${project}_${service}_1`;
  let tools: Awaited<ReturnType<typeof prepareTools>>;
  let built: BuiltImages;
  let standIn: AwsStandIn | undefined;
  let registry: LocalRegistry | undefined;
  let kube: KubeStandIn | undefined;
  let workDir = '';
  let overrideFile = '';
  let networkCreated = false;
  let gatewayPort = 0;
  let token = '';
  /** The environment podman-compose runs with: the test's container store and what an operator exports. */
  let composeEnv: Record<string, string> = {};

  const gatewayUrl = () => `http://127.0.0.1:${gatewayPort}`;
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
  const podman = (args: string[]) => run('podman', args, { env: tools.env });
  const logsOf = async (name: string) =>
    podman(['logs', '--tail', '60', name]).catch((err: Error) => err.message);
  const inspect = async (name: string) =>
    (JSON.parse(await podman(['inspect', name])) as ContainerFacts[])[0]!;
  /** podman-compose prints the podman commands it runs, INTERNAL_AUTH_SECRET included: never shown as is. */
  const redact = (text: string) => text.replaceAll(internalSecret, '[INTERNAL_AUTH_SECRET]');
  const podmanCompose = async (args: string[], env = composeEnv) =>
    run('podman-compose', args, { env, cwd: repoRoot, timeoutMs: 10 * 60_000 }).catch((err: Error) => {
      throw new Error(redact(err.message));
    });
  const composeFiles = () => ['-p', project, '-f', composeFile, '-f', overrideFile];

  before(async () => {
    tools = await prepareTools();
    built = await buildImages(tools, `test-${runId}`);
    const sizes = serviceNames.map((s) => `${s} ${Math.round(built.sizes[s] / 1e6)} MB`).join(', ');
    console.log(`# images built in ${built.seconds} s: ${sizes}`);
    workDir = await mkdtemp(path.join(tmpdir(), 'ashapp-containers-'));

    // The compose network, created by the test (podman-compose 1.0.3 cannot be given a subnet): podman
    // picks a free subnet; the bridge's host address is the test host the stand-ins listen on. The bridge
    // exists only while a container is attached, so a keeper container holds it from here to the end.
    await podman(['network', 'create', '--label', `io.ashapp.test=${project}`, network]);
    networkCreated = true;
    const [net] = JSON.parse(await podman(['network', 'inspect', network])) as {
      subnets: { subnet: string; gateway: string }[];
    }[];
    const hostAddress = net!.subnets[0]!.gateway;
    await podman([
      'run',
      '-d',
      '--name',
      bridgeKeeper,
      '--network',
      network,
      '--read-only',
      ...podmanSecurityArgs(readComposeSecurity('monitor')),
      '--entrypoint',
      'node',
      built.images.monitor,
      '-e',
      'setInterval(() => {}, 1 << 30)',
    ]);
    console.log(`# compose network ${network}: ${net!.subnets[0]!.subnet}, stand-ins on ${hostAddress}`);

    standIn = await startAwsStandIn({ users: [alice], buckets: ['demo-assets'], host: hostAddress });
    registry = await startLocalRegistry({ address: hostAddress });
    kube = await startKubeStandIn({ token: kubeToken, host: hostAddress });
    const pybase = await ensureTestBaseImage({ env: tools.env, storage: tools.storage, registry });
    assert.ok(pybase.registryImage, 'the Flask base is in the registry for the deployer to pull');

    const kubeconfig = path.join(workDir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        // The client refuses plain http unless TLS checks are off; the stand-in speaks http.
        'clusters: [{name: stand-in, cluster: {server: "' + kube.url + '", insecure-skip-tls-verify: true}}]',
        `users: [{name: deployer, user: {token: "${kubeToken}"}}]`,
        'contexts: [{name: stand-in, context: {cluster: stand-in, user: deployer}}]',
        'current-context: stand-in',
        '',
      ].join('\n'),
    );
    await chmod(kubeconfig, 0o644);

    // Only what the test must change; everything else is compose.yaml as shipped.
    overrideFile = path.join(workDir, 'compose.test.yaml');
    await writeFile(
      overrideFile,
      toYaml({
        networks: { default: { name: network, external: true } },
        services: {
          gateway: { environment: { AWS_ENDPOINT_URL_STS: standIn.url } },
          assistant: { environment: { ASSISTANT_AWS_ENDPOINT_URL: standIn.url } },
          deployer: {
            environment: {
              DEPLOYER_BUILDER: 'buildah',
              DEPLOYER_KUBERNETES_HTTP_CHECK: 'false',
              DEPLOYER_BASE_IMAGE: pybase.registryImage!,
              DEPLOYER_BASE_IMAGE_HAS_RUNTIME: 'true',
              DEPLOYER_STABILITY_WINDOW_MS: '1000',
              DEPLOYER_ROLLOUT_TIMEOUT_MS: '60000',
            },
          },
        },
      }),
    );
    gatewayPort = await getFreePort();
    // What the README has an operator export (compose.yaml reads these).
    composeEnv = {
      ...tools.env,
      ASHAPP_INTERNAL_AUTH_SECRET: internalSecret,
      ASHAPP_IMAGE_TAG: `test-${runId}`,
      ASHAPP_PORT: `127.0.0.1:${gatewayPort}`,
      ASHAPP_SIGN_IN_ALLOWED_ACCOUNTS: alice.account,
      ASHAPP_DEPLOYER_KUBECONFIG: kubeconfig,
      ASHAPP_DEPLOYER_INSECURE_REGISTRIES: registry.host,
      ASHAPP_DEPLOYER_NAMESPACES: 'default',
      // The host build sandbox cannot run inside the container (ADR 0008, 0012): the operator's explicit
      // choice, as compose.yaml documents it.
      ASHAPP_DEPLOYER_BUILD_SANDBOX: 'off',
    };

    // The deployer pulls a build's base image without registry credentials: put the Flask base into the
    // store on its compose volume first (created as podman-compose would, so `down -v` removes it), with the
    // deployer image's own buildah under the same user and capabilities.
    const deployerVolume = `${project}_deployer-data`;
    await podman([
      'volume',
      'create',
      '--label',
      `io.podman.compose.project=${project}`,
      '--label',
      `com.docker.compose.project=${project}`,
      deployerVolume,
    ]);
    await podman([
      'run',
      '--rm',
      '--network',
      network,
      '--read-only',
      ...podmanSecurityArgs(readComposeSecurity('deployer')),
      '-v',
      `${deployerVolume}:/data`,
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
    ]);

    const started = Date.now();
    const up = await podmanCompose([...composeFiles(), 'up', '-d']);
    // podman-compose 1.0.3 exits 0 even when a `podman run` failed: the containers are checked below.
    for (const service of serviceNames) {
      const state = await inspect(containerOf(service)).catch((err: Error) => {
        throw new Error(
          `${containerOf(service)} was not created: ${err.message}\n${redact(up).slice(-3000)}`,
        );
      });
      assert.equal(state.State.Status, 'running', `${service}: ${await logsOf(containerOf(service))}`);
    }
    // No systemd here for podman's health-check timers: run each image's health check as podman would,
    // until it reports healthy (bounded).
    for (const service of serviceNames) {
      await waitFor(
        `${service} healthy`,
        async () => {
          await podman(['healthcheck', 'run', containerOf(service)]);
          return (await inspect(containerOf(service))).State.Health?.Status === 'healthy' ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, retryErrors: true },
      ).catch(async (err: Error) => {
        const state = await podman(['inspect', '--format', '{{json .State}}', containerOf(service)]).catch(
          (e: Error) => e.message,
        );
        throw new Error(`${err.message}\n${state}\n${await logsOf(containerOf(service))}`);
      });
    }
    console.log(
      `# podman-compose up: every service healthy ${Math.round((Date.now() - started) / 1000)} s after up`,
    );
  });

  after(async () => {
    const problems: string[] = [];
    if (overrideFile && composeEnv.ASHAPP_INTERNAL_AUTH_SECRET) {
      await podmanCompose([...composeFiles(), 'down', '-v']).catch((err: Error) =>
        problems.push(`podman-compose down -v: ${err.message}`),
      );
    }
    if (tools) {
      await podman(['rm', '-f', '-t', '0', bridgeKeeper]).catch(() => undefined);
      // Whatever is left of the project is a defect of `down -v`: removed here, reported below.
      const label = `label=io.podman.compose.project=${project}`;
      const leftContainers = (await podman(['ps', '-a', '-q', '--filter', label]).catch(() => '')).trim();
      const leftVolumes = (await podman(['volume', 'ls', '-q', '--filter', label]).catch(() => '')).trim();
      if (leftContainers) {
        problems.push(`containers left after down -v: ${leftContainers.replace(/\n/g, ' ')}`);
        await podman(['rm', '-f', '-t', '0', ...leftContainers.split('\n')]).catch(() => undefined);
      }
      if (leftVolumes) {
        problems.push(`volumes left after down -v: ${leftVolumes.replace(/\n/g, ' ')}`);
        await podman(['volume', 'rm', '-f', ...leftVolumes.split('\n')]).catch(() => undefined);
      }
      if (networkCreated) await podman(['network', 'rm', '-f', network]).catch(() => undefined);
    }
    await kube?.stop();
    await registry?.stop();
    await standIn?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    if (built) {
      for (const image of Object.values(built.images))
        await podman(['rmi', '-f', image]).catch(() => undefined);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
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

  test('podman-compose runs every service of compose.yaml, healthy by its image health check, on the compose network', async () => {
    for (const service of serviceNames) {
      const facts = await inspect(containerOf(service));
      assert.equal(facts.State.Status, 'running', service);
      assert.equal(facts.State.Health?.Status, 'healthy', service);
      // compose.yaml leaves the health check to the image: exec form, no shell.
      assert.deepEqual(
        facts.Config.Healthcheck?.Test,
        ['CMD', 'node', '/app/healthcheck.mjs', service],
        service,
      );
      assert.equal(facts.ImageName, built.images[service], service);
      assert.equal(facts.Config.Labels['com.docker.compose.project'], project, service);
      assert.equal(facts.Config.Labels['com.docker.compose.service'], service, service);
      // The services find each other by their compose names on the compose network, as shipped.
      assert.deepEqual(Object.keys(facts.NetworkSettings.Networks ?? {}), [network], service);
      assert.ok(facts.NetworkSettings.Networks?.[network]?.Aliases?.includes(service), `${service} alias`);
      for (const [name, url] of Object.entries(serviceUrls))
        assert.ok(facts.Config.Env.includes(`${name}=${url}`), `${service}: ${name}=${url}`);
      // No compose variable reached a container unsubstituted (podman-compose 1.0.3 keeps `${X:-}` as text).
      assert.deepEqual(
        facts.Config.Env.filter((e) => e.includes('${')),
        [],
        `${service} has unsubstituted variables`,
      );
    }
    // The gateway is published on loopback only.
    const gateway = await inspect(containerOf('gateway'));
    assert.deepEqual(gateway.HostConfig.PortBindings?.['8080/tcp'], [
      { HostIp: '127.0.0.1', HostPort: String(gatewayPort) },
    ]);
    for (const service of serviceNames.filter((s) => s !== 'gateway'))
      assert.deepEqual(
        // (an image's EXPOSE shows as a port without bindings: null)
        Object.values((await inspect(containerOf(service))).HostConfig.PortBindings ?? {})
          .flat()
          .filter((binding) => binding !== null),
        [],
        `${service} publishes no port`,
      );
  });

  test('the running containers have the security settings compose.yaml ships', async () => {
    for (const service of serviceNames) {
      const shipped = readComposeSecurity(service);
      assert.equal(shipped.readOnly, true, `${service}: compose.yaml has read_only`);
      assert.deepEqual(shipped.tmpfs, ['/tmp'], service);
      assert.ok(shipped.securityOpt.includes('no-new-privileges:true'), service);
      const facts = await inspect(containerOf(service));
      assert.equal(facts.HostConfig.ReadonlyRootfs, true, service);
      assert.ok(facts.HostConfig.SecurityOpt?.includes('no-new-privileges'), `${service} no-new-privileges`);
      assert.deepEqual(
        [...(facts.BoundingCaps ?? [])].sort(),
        shipped.capAdd.map((c) => `CAP_${c}`).sort(),
        `${service}: cap_drop ALL + cap_add`,
      );
      assert.ok(Object.keys(facts.HostConfig.Tmpfs ?? {}).includes('/tmp'), `${service} /tmp tmpfs`);
      assert.equal(facts.Config.User, `${nodeUid}:${nodeUid}`, service);
      const data = facts.Mounts.filter((m) => m.Destination === '/data');
      assert.deepEqual(
        data.map((m) => ({ type: m.Type, name: m.Name, rw: m.RW })),
        [{ type: 'volume', name: `${project}_${service}-data`, rw: true }],
        `${service} /data`,
      );
      // What the kernel says about the service's process (PID 1 is tini, the service its child) and its
      // mounts, read from inside the container.
      const report = await podman([
        'exec',
        containerOf(service),
        'node',
        '-e',
        [
          "const fs = require('fs');",
          "const status = (pid) => Object.fromEntries(fs.readFileSync('/proc/' + pid + '/status', 'utf8')",
          "  .split('\\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));",
          "const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').filter(Boolean)",
          "  .map((l) => { const f = l.split(' '); const dash = f.indexOf('-'); return { at: f[4], opts: f[5], type: f[dash + 1] }; });",
          "let dataWritable = true; try { fs.accessSync('/data', fs.constants.W_OK); } catch { dataWritable = false; }",
          "let rootWritable = true; try { fs.writeFileSync('/probe', 'x'); } catch { rootWritable = false; }",
          'console.log(JSON.stringify({ init: status(1), self: status(process.pid), mounts, dataWritable, rootWritable }));',
        ].join('\n'),
      ]);
      type Status = Record<string, string>;
      const seen = JSON.parse(report) as {
        init: Status;
        self: Status;
        mounts: { at: string; opts: string; type: string }[];
        dataWritable: boolean;
        rootWritable: boolean;
      };
      const caps = expectedCapabilityMask(shipped);
      for (const [who, st] of [
        ['pid 1', seen.init],
        ['exec', seen.self],
      ] as const) {
        assert.equal(st.Uid?.split(/\s+/)[0], String(nodeUid), `${service} ${who} uid`);
        assert.equal(st.Gid?.split(/\s+/)[0], String(nodeUid), `${service} ${who} gid`);
        assert.equal(st.NoNewPrivs, '1', `${service} ${who} no_new_privs`);
        assert.equal(st.CapBnd, caps, `${service} ${who} bounding set`);
      }
      const at = (p: string) => seen.mounts.filter((m) => m.at === p).at(-1);
      assert.match(at('/')?.opts ?? '', /^ro\b/, `${service}: / is read-only`);
      assert.equal(seen.rootWritable, false, `${service}: / is read-only`);
      assert.equal(at('/tmp')?.type, 'tmpfs', `${service}: /tmp is a tmpfs`);
      assert.match(at('/data')?.opts ?? '', /^rw\b/, `${service}: /data is mounted read-write`);
      assert.equal(seen.dataWritable, true, `${service}: uid ${nodeUid} can write /data`);
    }
    // Only the deployer adds capabilities (SETGID, SYS_CHROOT for rootless buildah, ADR 0026).
    assert.deepEqual(readComposeSecurity('deployer').capAdd, ['SETGID', 'SYS_CHROOT']);
    for (const service of serviceNames.filter((s) => s !== 'deployer'))
      assert.equal(expectedCapabilityMask(readComposeSecurity(service)), '0000000000000000', service);
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
      { timeoutMs: 20_000, intervalMs: 250, retryErrors: true },
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
      `${String(done?.data.error)}\n${logs.slice(-30).join('\n')}\n${await logsOf(containerOf('deployer'))}`,
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
      { timeoutMs: 20_000, intervalMs: 250, retryErrors: true },
    );
    assert.ok(events.length > 0);
  });
  test('the optional MariaDB and Redis files render with podman-compose (not run: no image pulls here)', async () => {
    // `--dry-run` prints the podman commands; /bin/true stands for podman so that nothing is created.
    const render = async (files: string[], env: Record<string, string>) => {
      const out = await podmanCompose(
        [
          '--dry-run',
          '--podman-path',
          '/bin/true',
          '-p',
          `${project}-render`,
          ...files.flatMap((f) => ['-f', path.join(composeDir, f)]),
          'up',
          '-d',
        ],
        { ...composeEnv, ...env },
      );
      const runs = out.split('\n').filter((l) => /^\S*\/true run /.test(l));
      return runs.map((line) => ({ name: /--name=(\S+)/.exec(line)?.[1] ?? '', line }));
    };
    const name = (service: string) => `${project}-render_${service}_1`;
    const plain = await render(['compose.yaml'], {});
    assert.deepEqual(plain.map((r) => r.name).sort(), serviceNames.map(name).sort());
    assert.equal(plain.at(-1)?.name, name('gateway'), 'the gateway starts last (depends_on)');

    const password = 'render-test-password';
    const withBoth = await render(['compose.yaml', 'compose.mariadb.yaml', 'compose.redis.yaml'], {
      ASHAPP_MARIADB_PASSWORD: password,
      ASHAPP_DATABASE_URL: `mysql://ashapp:${password}@mariadb:3306/ashapp`,
      ASHAPP_REDIS_URL: 'redis://redis:6379',
    });
    const names = withBoth.map((r) => r.name);
    assert.deepEqual([...names].sort(), [...serviceNames, 'mariadb', 'redis'].map(name).sort());
    const line = (service: string) => withBoth.find((r) => r.name === name(service))!.line;
    assert.match(line('mariadb'), / docker\.io\/library\/mariadb:11\.4$/);
    assert.ok(line('mariadb').includes(` -v ${project}-render_mariadb-data:/var/lib/mysql `));
    assert.ok(line('mariadb').includes(` -e MARIADB_PASSWORD=${password} `));
    assert.ok(
      line('mariadb').includes(
        "--healthcheck-command /bin/sh -c 'healthcheck.sh --connect --innodb_initialized'",
      ),
    );
    assert.match(line('redis'), / docker\.io\/library\/redis:7\.4-alpine redis-server --appendonly yes$/);
    assert.ok(line('redis').includes(` -v ${project}-render_redis-data:/data `));
    for (const service of serviceNames) {
      assert.ok(
        line(service).includes(` -e DATABASE_URL=mysql://ashapp:${password}@mariadb:3306/ashapp `),
        `${service} uses MariaDB`,
      );
      if (service !== 'gateway')
        assert.ok(names.indexOf(name('mariadb')) < names.indexOf(name(service)), service);
    }
    assert.ok(line('gateway').includes(' -e REDIS_URL=redis://redis:6379 '));
    assert.ok(names.indexOf(name('redis')) < names.indexOf(name('gateway')));
    for (const r of [...plain, ...withBoth])
      assert.doesNotMatch(r.line, /\$\{/, `${r.name}: unsubstituted variable`);
    // The MariaDB file refuses to start without a password (podman-compose 1.0.3 checks `:?` for unset
    // only, Docker Compose for empty too).
    assert.equal(composeEnv.ASHAPP_MARIADB_PASSWORD, undefined);
    await assert.rejects(render(['compose.yaml', 'compose.mariadb.yaml'], {}), /set ASHAPP_MARIADB_PASSWORD/);
  });

  test('Docker Compose reads the same files (`docker-compose config`, no Docker daemon needed)', async () => {
    const config = async (files: string[], env: Record<string, string>) =>
      parseYaml(
        await run(
          'docker-compose',
          ['-p', 'ashapp', ...files.flatMap((f) => ['-f', path.join(composeDir, f)]), 'config'],
          { env: { ...composeEnv, ...env }, cwd: composeDir },
        ).catch((err: Error) => {
          throw new Error(redact(err.message));
        }),
      ) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
    const plain = await config(['compose.yaml'], {});
    assert.deepEqual(Object.keys(plain.services).sort(), [...serviceNames].sort());
    for (const service of serviceNames) {
      const own = plain.services[service]!;
      const shipped = readComposeSecurity(service);
      assert.equal(own.read_only, true, service);
      assert.deepEqual(own.tmpfs, ['/tmp'], service);
      assert.deepEqual(own.cap_drop, ['ALL'], service);
      assert.deepEqual(own.cap_add ?? [], shipped.capAdd, service);
      assert.deepEqual(own.security_opt, ['no-new-privileges:true'], service);
      assert.equal(own.image, `localhost/ashapp-${service}:test-${runId}`, service);
      assert.equal((own.environment as Record<string, string>).INTERNAL_AUTH_SECRET, internalSecret, service);
      assert.equal(own.healthcheck, undefined, `${service}: the image's health check applies`);
    }
    const both = await config(['compose.yaml', 'compose.mariadb.yaml', 'compose.redis.yaml'], {
      ASHAPP_MARIADB_PASSWORD: 'render-test-password',
    });
    assert.deepEqual(Object.keys(both.services).sort(), [...serviceNames, 'mariadb', 'redis'].sort());
    assert.equal(both.services.mariadb!.image, 'docker.io/library/mariadb:11.4');
    assert.equal(both.services.redis!.image, 'docker.io/library/redis:7.4-alpine');
    assert.ok(['mariadb-data', 'redis-data'].every((v) => v in both.volumes));
    await assert.rejects(
      config(['compose.yaml'], { ASHAPP_INTERNAL_AUTH_SECRET: '' }),
      /ASHAPP_INTERNAL_AUTH_SECRET/,
    );
  });
});
