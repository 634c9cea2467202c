import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort, startServiceProcess, waitFor, type ServiceProcess } from '@ashapp/platform/testing';
import { launchChromium, noChromium, screenshotsDir } from '@ashapp/test-platform/browser';
import { parse, stringify } from 'yaml';
import {
  repoRoot,
  serviceEntry,
  serviceUrlEnv,
  startServices,
  type RunningServices,
} from '@ashapp/test-platform/services';

// A real Prometheus (Debian package `prometheus`) scraping the five services run as processes, with the
// rules from deploy/observability/prometheus and every query of the Grafana dashboards.
const promDir = path.join(repoRoot, 'deploy', 'observability', 'prometheus');
const dashboardsDir = path.join(repoRoot, 'deploy', 'observability', 'grafana', 'dashboards');
// cAdvisor and kube-state-metrics series exist only in a cluster: those queries are checked for syntax.
/** Prometheus answers slowly while it starts and scrapes: a failed fetch or assertion means "not yet". */
const retrying = { timeoutMs: 60_000, intervalMs: 500, retryErrors: true };

const clusterOnly = /\b(container_[a-z_]+|kube_[a-z_]+)\b/;

const alice = {
  accessKeyId: 'AKIASTANDINPROMALICE',
  secretAccessKey: 'prom-alice-secret-key-000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  userId: 'AIDAPROMALICE00000001',
};

interface QueryResult {
  status: string;
  error?: string;
  data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

function dashboardQueries(): Array<{ dashboard: string; panel: string; expr: string }> {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const d = JSON.parse(readFileSync(path.join(dashboardsDir, file), 'utf8')) as {
        panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      };
      return d.panels.flatMap((p) =>
        p.targets.map((t) => ({ dashboard: file, panel: p.title, expr: t.expr })),
      );
    });
}

describe('a real Prometheus scraping the platform (five services as processes, AWS stand-in)', () => {
  let standIn: AwsStandIn;
  let services: RunningServices;
  let gateway: ServiceProcess;
  let deployer: ServiceProcess;
  let prometheus: ChildProcess;
  let promUrl = '';
  let promOutput = '';
  let workDir = '';
  let token = '';

  const query = async (expr: string): Promise<QueryResult> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as QueryResult;
  };

  before(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-prometheus-'));
    standIn = await startAwsStandIn({ users: [alice] });
    services = await startServices(['monitor', 'history', 'assistant'], {
      ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
    });
    // The deployer on its own, with a longer start-up allowance (it is the slowest to start on a busy host).
    const deployerPort = await getFreePort();
    deployer = await startServiceProcess({
      entry: serviceEntry('deployer'),
      port: deployerPort,
      timeoutMs: 120_000,
      env: {
        ...serviceUrlEnv(services),
        DEPLOYER_PORT: String(deployerPort),
        ASHAPP_DATA_DIR: services.dataDir,
        INTERNAL_AUTH_SECRET: services.secret,
        DEPLOYER_TARGET: 'podman',
        // No Docker daemon here: a deploy stops before building, which is all the metrics need.
        DEPLOYER_BUILDER: 'docker',
        DEPLOYER_CONTAINERS_ROOT: path.join(workDir, 'containers', 'root'),
        DEPLOYER_CONTAINERS_RUNROOT: path.join(workDir, 'containers', 'runroot'),
      },
    });
    const port = await getFreePort();
    gateway = await startServiceProcess({
      entry: serviceEntry('gateway'),
      port,
      env: {
        GATEWAY_PORT: String(port),
        ASHAPP_DATA_DIR: services.dataDir,
        INTERNAL_AUTH_SECRET: services.secret,
        AWS_ENDPOINT_URL_STS: standIn.url,
        ...serviceUrlEnv(services),
        DEPLOYER_URL: deployer.url,
      },
    });

    // The shipped configuration with this run's targets, a 1 s scrape and the rule groups every 2 s.
    const config = parse(readFileSync(path.join(promDir, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[]; labels: Record<string, string> }> }>;
    };
    const targets = {
      gateway: gateway.url,
      deployer: deployer.url,
      ...Object.fromEntries(Object.entries(services.processes).map(([n, p]) => [n, p.url])),
    };
    config.global = { scrape_interval: '1s', evaluation_interval: '2s' };
    config.scrape_configs[0]!.static_configs = Object.entries(targets).map(([service, url]) => ({
      targets: [url.replace('http://', '')],
      labels: { service },
    }));
    config.rule_files = config.rule_files.map((file) => {
      const rules = readFileSync(path.join(promDir, file), 'utf8').replace(/interval: 30s/g, 'interval: 2s');
      const copy = path.join(workDir, path.basename(file));
      writeFileSync(copy, rules);
      return copy;
    });
    writeFileSync(path.join(workDir, 'prometheus.yml'), stringify(config));
    const promPort = await getFreePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${path.join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (d: Buffer) => (promOutput += d.toString()));
    prometheus.stderr?.on('data', (d: Buffer) => (promOutput += d.toString()));
    await waitFor('Prometheus ready', async () => (await fetch(`${promUrl}/-/ready`)).ok, {
      ...retrying,
      timeoutMs: 30_000,
    });
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await gateway?.stop();
    await deployer?.stop();
    await services?.stop();
    await standIn?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('all five targets are up', async () => {
    const up = await waitFor(
      'five healthy targets',
      async () => {
        const res = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
          data: {
            activeTargets: Array<{ health: string; labels: Record<string, string>; lastError: string }>;
          };
        };
        const active = res.data.activeTargets;
        return active.length === 5 && active.every((t) => t.health === 'up') ? active : undefined;
      },
      retrying,
    );
    assert.deepEqual(
      up.map((t) => t.labels.instance).sort(),
      [gateway.url, deployer.url, ...Object.values(services.processes).map((p) => p.url)]
        .map((u) => u.replace('http://', ''))
        .sort(),
    );
    const services_ = await query('count by (service) (up{job="ashapp"} == 1)');
    assert.deepEqual(services_.data?.result.map((r) => r.metric.service).sort(), [
      'assistant',
      'deployer',
      'gateway',
      'history',
      'monitor',
    ]);
  });

  test('with some traffic, every recording rule and every dashboard query evaluates and returns series', async () => {
    // Traffic: a sign-in, failed sign-ins, read-only asks, a change declined, history and activity reads,
    // a 404, and a deploy that fails before building.
    const api = async (method: string, url: string, body?: unknown, auth = true) => {
      const res = await fetch(`${gateway.url}${url}`, {
        method,
        headers: {
          ...(auth ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    };
    const login = (secret: string) =>
      api(
        'POST',
        '/api/login',
        { access_key: alice.accessKeyId, secret_key: secret, region: 'us-east-1' },
        false,
      );
    assert.equal((await login('wrong-secret-key-000000000000000000000000')).status, 401);
    const signedIn = await login(alice.secretAccessKey);
    assert.equal(signedIn.status, 200);
    token = String(signedIn.json.token);
    for (let i = 0; i < 2; i += 1)
      assert.equal((await api('POST', '/api/ask', { query: 'list ec2 instance ids' })).status, 200);
    const change = await api('POST', '/api/ask', { query: 'stop instance i-0a1b2c3d4e5f60001' });
    assert.equal(change.status, 200);
    const declined = await api('POST', '/api/confirm', {
      confirmation_id: change.json.confirmation_id,
      decision: 'decline',
    });
    assert.equal(declined.status, 200);
    assert.equal((await api('GET', '/api/history')).status, 200);
    assert.equal((await api('GET', '/api/monitor/events')).status, 200);
    assert.equal((await api('GET', '/api/no-such-route')).status, 404);
    const deploy = await api('POST', '/deployer-api/deploy', {
      app_name: 'metrics-demo',
      code: 'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/")\ndef index():\n    return "hi"\n',
    });
    assert.equal(deploy.status, 202, JSON.stringify(deploy.json));
    await waitFor(
      'the deploy to fail at the build step',
      async () => {
        const list = await api('GET', '/deployer-api/deployments');
        const items = (list.json.items ?? list.json.deployments ?? []) as Array<{ state: string }>;
        return items.some((d) => d.state === 'Failed');
      },
      retrying,
    );

    const recording = (
      parse(readFileSync(path.join(promDir, 'rules', 'ashapp-recording.rules.yml'), 'utf8')) as {
        groups: Array<{ rules: Array<{ record: string }> }>;
      }
    ).groups.flatMap((g) => g.rules.map((r) => r.record));
    assert.ok(recording.length >= 20);
    for (const record of recording) {
      await waitFor(
        `recording rule ${record} to return series`,
        async () => {
          const r = await query(record);
          return r.status === 'success' && (r.data?.result.length ?? 0) > 0;
        },
        retrying,
      );
    }

    const queries = dashboardQueries();
    assert.ok(queries.length >= 35, `dashboards have ${queries.length} queries`);
    const syntaxOnly: string[] = [];
    for (const q of queries) {
      const where = `${q.dashboard} / ${q.panel}: ${q.expr}`;
      if (clusterOnly.test(q.expr)) {
        const r = await query(q.expr);
        assert.equal(r.status, 'success', `${where}: ${r.error ?? ''}`);
        syntaxOnly.push(q.panel);
        continue;
      }
      await waitFor(
        `${where} to return series`,
        async () => {
          const r = await query(q.expr);
          assert.equal(r.status, 'success', `${where}: ${r.error ?? ''}`);
          return (r.data?.result.length ?? 0) > 0;
        },
        retrying,
      );
    }
    // Only the per-pod cAdvisor/kube-state-metrics panels are exempt from returning data here.
    assert.deepEqual([...new Set(syntaxOnly)].sort(), [
      'CPU of limit per pod (alert at 80 %)',
      'CPU per pod (cores)',
      'Container restarts',
      'Memory of limit per pod (alert at 85 %)',
      'Memory working set per pod',
    ]);
    // The alert rules loaded and evaluate (none fires on a healthy platform).
    const rules = (await (await fetch(`${promUrl}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; state: string }> }> };
    };
    const alerts = rules.data.groups.flatMap((g) => g.rules);
    assert.ok(alerts.length >= 14);
    for (const a of alerts) assert.equal(a.health, 'ok', `${a.name} evaluates`);
    assert.ok(
      !promOutput.includes('level=error'),
      promOutput
        .split('\n')
        .filter((l) => l.includes('level=error'))
        .join('\n'),
    );
  });

  describe('screenshots of key panels in the Prometheus graph page', { skip: noChromium }, () => {
    test('saves docs/screenshots/observability-*.png from real data', async () => {
      mkdirSync(screenshotsDir, { recursive: true });
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
        page.setDefaultTimeout(20_000);
        const shots: Array<[string, string]> = [
          ['requests', 'service:http_requests:rate5m'],
          ['p95', 'service:http_request_duration_seconds:p95_5m'],
          ['outbox-backlog', 'service:ashapp_audit_outbox_pending_events:max'],
          ['process-cpu', 'service:process_cpu_seconds:rate5m'],
          ['memory', 'service:process_resident_memory_bytes:max'],
        ];
        for (const [name, expr] of shots) {
          const params = new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '0', 'g0.range_input': '1m' });
          await page.goto(`${promUrl}/graph?${params.toString()}`);
          await page.waitForLoadState('networkidle');
          // Debian's Prometheus serves the classic UI: the graph (rickshaw SVG) draws once its query answered.
          await page.locator('svg path').first().waitFor({ state: 'attached', timeout: 20_000 });
          await page.waitForTimeout(1000);
          await page.screenshot({ path: path.join(screenshotsDir, `observability-${name}.png`) });
        }
        await page.goto(`${promUrl}/classic/targets`);
        // The classic targets page counts healthy targets per job ("ashapp (5/5 up)").
        await page.getByText('(5/5 up)').first().waitFor({ state: 'attached', timeout: 20_000 });
        await page.screenshot({ path: path.join(screenshotsDir, 'observability-targets.png') });
        await page.goto(`${promUrl}/classic/alerts`);
        await page.getByText('AshappServiceDown').first().waitFor({ state: 'attached', timeout: 20_000 });
        await page.screenshot({ path: path.join(screenshotsDir, 'observability-alerts.png') });
      } finally {
        await browser.close();
      }
    });
  });
});
