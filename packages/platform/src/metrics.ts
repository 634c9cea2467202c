import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  readonly registry: Registry;
  observe(sample: { method: string; route: string; status: number; seconds: number }): void;
}

/**
 * A registry of its own per app (never prom-client's global one, so tests can build many apps in one
 * process): process metrics plus request count and duration per route and status.
 */
export function createHttpMetrics(options: { service: string }): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  // prom-client hashes the label object on every call; the labelled children are looked up once per
  // (method, route, status) instead. Routes are patterns (or "unmatched"), so the map stays small.
  const children = new Map<
    string,
    { count: ReturnType<typeof requests.labels>; time: ReturnType<typeof duration.labels> }
  >();
  return {
    registry,
    observe({ method, route, status, seconds }) {
      const key = `${method} ${status} ${route}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method, route, status_code: String(status) };
        child = { count: requests.labels(labels), time: duration.labels(labels) };
        children.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
  };
}
export type { Registry as MetricsRegistry } from 'prom-client';

/**
 * `ashapp_service_ready`: 1 when every readiness check passes at scrape time, else 0 — the `/ready` answer
 * as a series, so an alert can tell "up but not ready" (database gone, AWS CLI missing) from "down".
 */
export function registerReadinessGauge(
  registry: Registry,
  checks: ReadonlyArray<{ name: string; check: () => Promise<void> }>,
): void {
  new Gauge({
    name: 'ashapp_service_ready',
    help: 'Whether the service passes its readiness checks (1) or not (0), as GET /ready answers.',
    registers: [registry],
    async collect() {
      let ready = 1;
      for (const { check } of checks) {
        try {
          await check();
        } catch {
          ready = 0;
        }
      }
      this.set(ready);
    },
  });
}
