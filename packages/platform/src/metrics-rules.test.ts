import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse } from 'yaml';

// Prometheus rules and their unit tests, checked by the real promtool (Debian package `prometheus`).
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const promDir = path.join(repoRoot, 'deploy', 'observability', 'prometheus');

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: AlertRule[] }>;
}

function readRules(file: string): AlertRule[] {
  const parsed = parse(readFileSync(path.join(promDir, 'rules', file), 'utf8')) as RuleFile;
  return parsed.groups.flatMap((g) => g.rules);
}

function promtool(args: string[]) {
  return spawnSync('promtool', args, { cwd: promDir, encoding: 'utf8', timeout: 60_000 });
}

function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

describe('Prometheus rules (promtool)', () => {
  test('promtool is installed (Debian package prometheus)', () => {
    assert.match(execFileSync('promtool', ['--version'], { encoding: 'utf8' }), /promtool, version/);
  });

  test('the scrape configuration and both rule files are valid', () => {
    const config = promtool(['check', 'config', 'prometheus.yml']);
    assert.equal(config.status, 0, config.stdout + config.stderr);
    const rules = promtool([
      'check',
      'rules',
      'rules/ashapp-recording.rules.yml',
      'rules/ashapp-alerts.rules.yml',
    ]);
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
  });

  test('every alert fires on the series that should fire it and stays silent on healthy ones', () => {
    const run = promtool(['test', 'rules', 'tests/ashapp-alerts.test.yml']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /SUCCESS/);
  });

  test('every alert has a unit test that expects it to fire', () => {
    const tests = parse(readFileSync(path.join(promDir, 'tests', 'ashapp-alerts.test.yml'), 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const firing = new Set(
      tests.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    const alerts = readRules('ashapp-alerts.rules.yml').map((r) => r.alert);
    assert.ok(alerts.length >= 14);
    for (const alert of alerts) assert.ok(firing.has(alert!), `${alert} has a firing test`);
  });

  test('every alert has a summary, a description and a runbook section that exists', () => {
    const runbooks = readFileSync(path.join(repoRoot, 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
    for (const rule of readRules('ashapp-alerts.rules.yml')) {
      const a = rule.annotations ?? {};
      assert.ok(a.summary && a.description, `${rule.alert} has a summary and a description`);
      const match = /^docs\/runbooks\.md#([a-z0-9-]+)$/.exec(a.runbook_url ?? '');
      assert.ok(match, `${rule.alert} links docs/runbooks.md#section`);
      assert.ok(anchors.has(match[1]!), `docs/runbooks.md has a section #${match[1]} for ${rule.alert}`);
    }
  });
});
