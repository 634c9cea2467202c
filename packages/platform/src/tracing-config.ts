import { Type } from 'typebox';
import { ConfigError, readEnv, secret, type Env } from './config.ts';

export type TracesSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** Tracing settings, from the standard `OTEL_*` variables only. `enabled` is false unless an endpoint is set. */
export interface TracingConfig {
  readonly enabled: boolean;
  readonly serviceName: string;
  /** Full URL spans are POSTed to (`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces` or the traces endpoint as given). */
  readonly tracesUrl: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  /** Extra export headers (`OTEL_EXPORTER_OTLP_HEADERS`, e.g. an API key of a hosted backend). Secret. */
  readonly headers: Readonly<Record<string, string>>;
  readonly sampler: TracesSampler;
  /** Ratio for the `traceidratio` samplers, 0..1. */
  readonly samplerRatio: number;
  /** Batch span processor delay between exports, ms. */
  readonly scheduleDelayMs: number;
  readonly exportTimeoutMs: number;
  /** `OTEL_RESOURCE_ATTRIBUTES` (`key=value,key=value`). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

const samplers: readonly TracesSampler[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

function parseKeyValues(text: string | undefined, variable: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    if (at <= 0)
      throw new ConfigError(`invalid configuration: ${variable} entry "${part.trim()}" is not key=value`);
    out[decodeURIComponent(part.slice(0, at).trim())] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return out;
}

/**
 * Reads the OpenTelemetry settings a service honours: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns tracing on; `OTEL_SDK_DISABLED=true` keeps it off;
 * `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` default, `http/json`), `OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_TRACES_SAMPLER` (+ `_ARG`), `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`,
 * `OTEL_SERVICE_NAME` (default: the service's name, as in the metrics' `service` label), `OTEL_RESOURCE_ATTRIBUTES`.
 *
 * @example
 * const tracing = readTracingConfig('history', process.env);
 */
export function readTracingConfig(service: string, env: Env): TracingConfig {
  const raw = readEnv(
    Type.Object({
      OTEL_SDK_DISABLED: Type.Boolean({ default: false }),
      OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
      OTEL_EXPORTER_OTLP_PROTOCOL: Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')], {
        default: 'http/protobuf',
      }),
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(
        Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')]),
      ),
      OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(secret(Type.String())),
      OTEL_TRACES_SAMPLER: Type.Union(
        samplers.map((s) => Type.Literal(s)),
        { default: 'parentbased_always_on' },
      ),
      OTEL_TRACES_SAMPLER_ARG: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
      OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ minimum: 0, default: 5000 }),
      OTEL_BSP_EXPORT_TIMEOUT: Type.Integer({ minimum: 1, default: 30_000 }),
      OTEL_SERVICE_NAME: Type.String({ minLength: 1, default: service }),
      OTEL_RESOURCE_ATTRIBUTES: Type.Optional(Type.String()),
    }),
    env,
  );
  const tracesUrl =
    raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (raw.OTEL_EXPORTER_OTLP_ENDPOINT
      ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
      : '');
  return Object.freeze({
    enabled: tracesUrl !== '' && !raw.OTEL_SDK_DISABLED,
    serviceName: raw.OTEL_SERVICE_NAME,
    tracesUrl,
    protocol: raw.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? raw.OTEL_EXPORTER_OTLP_PROTOCOL,
    headers: Object.freeze(parseKeyValues(raw.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS')),
    sampler: raw.OTEL_TRACES_SAMPLER as TracesSampler,
    samplerRatio: raw.OTEL_TRACES_SAMPLER_ARG,
    scheduleDelayMs: raw.OTEL_BSP_SCHEDULE_DELAY,
    exportTimeoutMs: raw.OTEL_BSP_EXPORT_TIMEOUT,
    resourceAttributes: Object.freeze(
      parseKeyValues(raw.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES'),
    ),
  });
}
