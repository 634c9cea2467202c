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
      // The final states are always reported (0 until the first), so panels and ratios have a series.
      const counts = new Map<string, number>([
        ['Stable', 0],
        ['Failed', 0],
        ['RolledBack', 0],
      ]);
      for (const r of rows) counts.set(String(r.state), Number(r.n));
      return [...counts].map(([state, value]) => ({ labels: { state }, value }));
    },
  });
}
