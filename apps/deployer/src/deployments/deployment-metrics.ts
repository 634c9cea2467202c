import { registerQueryGauge, type Database, type MetricsRegistry } from '@ashapp/platform';

import type { DeployerTables } from './deployments-repository.ts';

/** `ashapp_deployments{state}`: deployment records by state, counted at scrape time (the database's truth). */
export function registerDeploymentStateMetric(
  registry: MetricsRegistry,
  database: Database<DeployerTables>,
): void {
  registerQueryGauge(registry, {
    name: 'ashapp_deployments',
    help: 'Deployment records by state (Stable, Failed, RolledBack, and the in-progress states).',
    labelNames: ['state'],
    read: async () => {
      const rows = await database.db
        .selectFrom('deployments')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('state')
        .execute();
      return rows.map((r) => ({ labels: { state: String(r.state) }, value: Number(r.n) }));
    },
  });
}
