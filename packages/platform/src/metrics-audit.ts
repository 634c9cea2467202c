import { Counter, Histogram, type Metric, type Registry } from 'prom-client';
import type { AuditEvent } from './audit.ts';

/**
 * Business metrics derived from the audit events a service records: every action the product cares about
 * (a run, a confirmation, a sign-in, a deploy's end) is already one audit event, written at the one place
 * it happens. Counting them here keeps the metric and the audit trail in step and keeps metric code out of
 * the services' use-case code. Label values are bounded: action types and AWS service names come from code
 * and the CLI's model catalogue, outcomes from a fixed list.
 */
export interface AuditEventMetrics {
  /** Counts one recorded event; pass as the outbox's `onRecord`. Never throws. */
  observe(event: AuditEvent): void;
  /**
   * Adds the metrics to the app's registry (once the app exists). With the service's name, the series that
   * service produces start at 0 (so rates and ratios exist before the first event, as Prometheus advises).
   */
  register(registry: Registry, service?: string): void;
}

const deployBuckets = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800];
// Deployments whose start this process saw and whose end it has not: bounded, oldest dropped first.
const maxOpenDeployments = 1000;

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};

function outcomeOf(summary: Json): 'success' | 'client_error' | 'server_error' {
  if (summary.ok === true) return 'success';
  return typeof summary.status === 'number' && summary.status < 500 ? 'client_error' : 'server_error';
}

// A label value from free-ish input: lower-case AWS service ids only, anything else is "other".
function serviceLabel(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9-]{1,40}$/.test(value) ? value : 'other';
}

const finalDeployStates = new Map([
  ['deployment.stable', 'stable'],
  ['deployment.failed', 'failed'],
  ['deployment.rolledback', 'rolled_back'],
]);

export function createAuditEventMetrics(): AuditEventMetrics {
  const recorded = new Counter({
    name: 'ashapp_audit_events_recorded_total',
    help: 'Audit events recorded into the outbox, by action type.',
    labelNames: ['action_type'],
    registers: [],
  });
  const runs = new Counter({
    name: 'ashapp_assistant_runs_total',
    help: 'AWS CLI runs the assistant finished, by AWS service and outcome (success, client_error, server_error).',
    labelNames: ['aws_service', 'outcome'],
    registers: [],
  });
  const plans = new Counter({
    name: 'ashapp_assistant_plans_total',
    help: 'Requests the assistant planned, by planner (literal, builtin, llm) and outcome.',
    labelNames: ['planner', 'outcome'],
    registers: [],
  });
  const confirmations = new Counter({
    name: 'ashapp_assistant_confirmations_total',
    help: 'Confirmations of changing operations, by decision (requested, accept, decline).',
    labelNames: ['decision'],
    registers: [],
  });
  const signIns = new Counter({
    name: 'ashapp_gateway_signins_total',
    help: 'Sign-in attempts at the gateway, by outcome (success, failure).',
    labelNames: ['outcome'],
    registers: [],
  });
  const deploys = new Counter({
    name: 'ashapp_deployments_finished_total',
    help: 'Deployments that reached a final state, by outcome (stable, failed, rolled_back).',
    labelNames: ['outcome'],
    registers: [],
  });
  const rollbacks = new Counter({
    name: 'ashapp_deployment_rollbacks_total',
    help: 'Rollbacks: automatic (a failed deploy rolled back) and requested (a user asked for one).',
    labelNames: ['trigger'],
    registers: [],
  });
  const deployDuration = new Histogram({
    name: 'ashapp_deployment_duration_seconds',
    help: 'Time from a deployment pipeline starting to its final state, in seconds, by outcome.',
    labelNames: ['outcome'],
    buckets: deployBuckets,
    registers: [],
  });
  const started = new Map<string, number>();

  function observeDeployment(event: AuditEvent): void {
    const id = asObject(event.request_data).deployment_id;
    if (typeof id !== 'string') return;
    const at = Date.parse(event.timestamp);
    const outcome = finalDeployStates.get(event.action_type);
    if (!outcome) {
      if (!started.has(id)) {
        if (started.size >= maxOpenDeployments) started.delete(started.keys().next().value as string);
        started.set(id, at);
      }
      return;
    }
    deploys.inc({ outcome });
    if (outcome === 'rolled_back') rollbacks.inc({ trigger: 'automatic' });
    const since = started.get(id);
    started.delete(id);
    if (since !== undefined && at >= since) deployDuration.observe({ outcome }, (at - since) / 1000);
  }

  return {
    observe(event) {
      recorded.inc({ action_type: event.action_type });
      const data = asObject(event.request_data);
      const summary = asObject(event.response_summary);
      switch (event.action_type) {
        case 'assistant.result': {
          const service = serviceLabel(asObject(data.plan).service);
          runs.inc({ aws_service: service, outcome: outcomeOf(summary) });
          return;
        }
        case 'assistant.plan': {
          const planner = typeof summary.planner === 'string' ? summary.planner : 'none';
          plans.inc({
            planner: /^[a-z_-]{1,20}$/.test(planner) ? planner : 'other',
            outcome: outcomeOf(summary),
          });
          return;
        }
        case 'assistant.confirmation_requested':
          confirmations.inc({ decision: 'requested' });
          return;
        case 'assistant.accept':
        case 'assistant.decline':
          confirmations.inc({ decision: event.action_type.slice('assistant.'.length) });
          return;
        case 'login':
          signIns.inc({ outcome: 'success' });
          return;
        case 'login_failed':
          signIns.inc({ outcome: 'failure' });
          return;
        case 'deployment.rollback_requested':
          rollbacks.inc({ trigger: 'requested' });
          return;
        default:
          if (event.action_type.startsWith('deployment.')) observeDeployment(event);
      }
    },
    register(registry, service) {
      if (service === 'gateway') for (const outcome of ['success', 'failure']) signIns.inc({ outcome }, 0);
      if (service === 'assistant')
        for (const decision of ['requested', 'accept', 'decline']) confirmations.inc({ decision }, 0);
      if (service === 'deployer') {
        for (const outcome of finalDeployStates.values()) deploys.inc({ outcome }, 0);
        for (const trigger of ['automatic', 'requested']) rollbacks.inc({ trigger }, 0);
      }
      for (const metric of [
        recorded,
        runs,
        plans,
        confirmations,
        signIns,
        deploys,
        rollbacks,
        deployDuration,
      ])
        registry.registerMetric(metric as Metric);
    },
  };
}
