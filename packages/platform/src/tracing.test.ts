import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { ConfigError } from './config.ts';
import { createLogger } from './logger.ts';
import { readTracingConfig } from './tracing-config.ts';
import { startTracing } from './tracing-sdk.ts';
import { currentTraceId, injectTraceContext, withSpan, withSyncSpan } from './tracing.ts';

const sdkModules = [
  'sdk-trace-node',
  'instrumentation-pg',
  'instrumentation-mysql2',
  'instrumentation-ioredis',
];
const loadedSdkModules = () =>
  sdkModules.filter((name) =>
    Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`${name}/`)),
  );

describe('tracing configuration (OTEL_* variables)', () => {
  test('is off without an endpoint, and on with one (traces path appended)', () => {
    assert.equal(readTracingConfig('history', {}).enabled, false);
    const on = readTracingConfig('history', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    assert.equal(on.enabled, true);
    assert.equal(on.tracesUrl, 'http://collector:4318/v1/traces');
    assert.equal(on.serviceName, 'history');
    assert.equal(on.protocol, 'http/protobuf');
    assert.equal(on.sampler, 'parentbased_always_on');
    assert.equal(on.scheduleDelayMs, 5000);
  });

  test('honours the traces endpoint, protocol, sampler, batch delay, name, headers and OTEL_SDK_DISABLED', () => {
    const c = readTracingConfig('gateway', {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/api/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SERVICE_NAME: 'edge',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D,team=ops',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
    });
    assert.equal(c.tracesUrl, 'https://otel.example/api/traces');
    assert.equal(c.protocol, 'http/json');
    assert.equal(c.sampler, 'parentbased_traceidratio');
    assert.equal(c.samplerRatio, 0.25);
    assert.equal(c.scheduleDelayMs, 200);
    assert.equal(c.serviceName, 'edge');
    assert.deepEqual(c.headers, { 'x-api-key': 'abc=', team: 'ops' });
    assert.deepEqual(c.resourceAttributes, { 'deployment.environment': 'prod' });
    const disabled = readTracingConfig('gateway', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_SDK_DISABLED: 'true',
    });
    assert.equal(disabled.enabled, false);
  });

  test('refuses an unknown sampler, protocol or a ratio above 1 with a configuration error', () => {
    assert.throws(() => readTracingConfig('x', { OTEL_TRACES_SAMPLER: 'sometimes' }), ConfigError);
    assert.throws(() => readTracingConfig('x', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), ConfigError);
    assert.throws(() => readTracingConfig('x', { OTEL_TRACES_SAMPLER_ARG: '2' }), ConfigError);
    assert.throws(() => readTracingConfig('x', { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }), ConfigError);
  });
});

describe('tracing off', () => {
  test('loads no SDK module, and withSpan runs the work, passes its result and its error through', async () => {
    const log = createLogger({ name: 'tracing-test', level: 'silent' });
    const handle = await startTracing(readTracingConfig('history', {}), log);
    assert.equal(handle.enabled, false);
    assert.deepEqual(loadedSdkModules(), [], 'the SDK and the driver instrumentations stay unloaded');
    assert.equal(await withSpan('work', {}, async () => 42), 42);
    await assert.rejects(
      withSpan('work', {}, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(
      withSyncSpan('sync', {}, () => 'ok'),
      'ok',
    );
    assert.equal(currentTraceId(), undefined);
    assert.deepEqual(injectTraceContext({}), {});

    // The same process with an endpoint does load it (so the check above can fail), then shuts down.
    const on = await startTracing(
      readTracingConfig('history', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }),
      log,
    );
    assert.deepEqual(loadedSdkModules(), sdkModules);
    const traceId = await withSpan('traced', {}, async () => currentTraceId());
    assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
    await on.shutdown();
  });
});
