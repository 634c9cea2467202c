import { readBaseServiceConfig, readEnv, type BaseServiceConfig, type Env } from '@ashapp/platform';
import { Type } from 'typebox';

export interface MonitorConfig extends BaseServiceConfig {
  /** Events older than this many days are deleted; 0 keeps them forever. */
  readonly retentionDays: number;
  /** How often the retention sweep runs. */
  readonly retentionSweepMs: number;
  /** Largest serialized `request_data` / `response_summary` kept whole; larger ones are truncated. */
  readonly maxFieldBytes: number;
  /** Largest request body accepted (a 1,000-event batch from an outbox). */
  readonly bodyLimitBytes: number;
  /** Comment lines sent on idle live-feed connections so proxies do not close them. */
  readonly heartbeatMs: number;
}

const MonitorEnv = Type.Object({
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 0, maximum: 36_500, default: 90 }),
  AUDIT_RETENTION_SWEEP_MINUTES: Type.Number({ exclusiveMinimum: 0, maximum: 7 * 24 * 60, default: 60 }),
  MONITOR_MAX_FIELD_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 64 * 1024 }),
  MONITOR_BODY_LIMIT_BYTES: Type.Integer({
    minimum: 64 * 1024,
    maximum: 256 * 1024 * 1024,
    default: 32 * 1024 * 1024,
  }),
  MONITOR_SSE_HEARTBEAT_SECONDS: Type.Number({ exclusiveMinimum: 0, maximum: 3600, default: 15 }),
});

export function readMonitorConfig(env: Env): MonitorConfig {
  const own = readEnv(MonitorEnv, env);
  return Object.freeze({
    ...readBaseServiceConfig('monitor', env),
    retentionDays: own.AUDIT_RETENTION_DAYS,
    retentionSweepMs: Math.round(own.AUDIT_RETENTION_SWEEP_MINUTES * 60_000),
    maxFieldBytes: own.MONITOR_MAX_FIELD_BYTES,
    bodyLimitBytes: own.MONITOR_BODY_LIMIT_BYTES,
    heartbeatMs: Math.round(own.MONITOR_SSE_HEARTBEAT_SECONDS * 1000),
  });
}
