import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { generatedDir, renderObservabilityManifests } from '../../../scripts/render-observability.ts';

const componentDir = fileURLToPath(
  new URL('../../../deploy/kubernetes/components/observability/', import.meta.url),
);

describe('kustomize component deploy/kubernetes/components/observability', () => {
  test('its generated dashboards and PrometheusRule match deploy/observability', () => {
    for (const [file, content] of renderObservabilityManifests()) {
      assert.equal(
        readFileSync(path.join(generatedDir, file), 'utf8'),
        content,
        `${file} is out of date: node --import tsx scripts/render-observability.ts`,
      );
    }
  });

  // kubectl is not a Debian package CI installs; without it this test says so and skips.
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
  const noKubectl = kubectl.status !== 0 && 'kubectl is not installed (needed for kubectl kustomize)';

  test(
    'builds with kubectl kustomize onto the services and adds monitors, rules, dashboards, annotations',
    { skip: noKubectl },
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-kustomize-'));
      try {
        const services = ['gateway', 'assistant', 'deployer', 'history', 'monitor'];
        writeFileSync(
          path.join(dir, 'services.yaml'),
          services
            .map(
              (s) =>
                `apiVersion: v1\nkind: Service\nmetadata:\n  name: ashapp-${s}\n  labels:\n    app.kubernetes.io/name: ${s}\nspec:\n  ports:\n    - name: http\n      port: 8080\n`,
            )
            .join('---\n'),
        );
        writeFileSync(
          path.join(dir, 'kustomization.yaml'),
          `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ashapp\nresources: [services.yaml]\ncomponents: [${path.relative(dir, componentDir)}]\n`,
        );
        const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(run.status, 0, run.stderr);
        const docs = parseAllDocuments(run.stdout).map(
          (d) =>
            d.toJS() as {
              kind: string;
              metadata: {
                name: string;
                labels?: Record<string, string>;
                annotations?: Record<string, string>;
              };
            },
        );
        const kinds = (kind: string) => docs.filter((d) => d.kind === kind);
        assert.equal(kinds('ServiceMonitor').length, 1);
        assert.equal(kinds('PrometheusRule').length, 1);
        const dashboards = kinds('ConfigMap').filter((d) => d.metadata.labels?.grafana_dashboard === '1');
        assert.equal(dashboards.length, 5);
        for (const svc of kinds('Service')) {
          assert.equal(svc.metadata.annotations?.['prometheus.io/scrape'], 'true', svc.metadata.name);
          assert.equal(svc.metadata.annotations?.['prometheus.io/path'], '/metrics');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
