import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import {
  getFreePort,
  startOtlpReceiver,
  startServiceProcess,
  waitFor,
  type OtlpReceiver,
  type ReceivedSpan,
  type ServiceProcess,
} from '@ashapp/platform/testing';
import {
  serviceEntry,
  serviceUrlEnv,
  startServices,
  type RunningServices,
} from '@ashapp/test-platform/services';

const alice = {
  accessKeyId: 'AKIASTANDINTRACEALI1',
  secretAccessKey: 'trace-alice-secret-key-00000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  userId: 'AIDATRACEALICE0000001',
};

describe('tracing across the platform (services as processes, an OTLP collector stand-in, AWS stand-in)', () => {
  let standIn: AwsStandIn;
  let receiver: OtlpReceiver;
  let services: RunningServices;
  let gateway: ServiceProcess;
  let token: string;
  // What a browser with its own tracing would send: the platform's spans must continue this trace.
  const browserTraceId = randomBytes(16).toString('hex');
  const browserSpanId = randomBytes(8).toString('hex');

  before(async () => {
    standIn = await startAwsStandIn({ users: [alice] });
    receiver = await startOtlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    // The services export protobuf (the default), the gateway JSON: the collector must get both.
    services = await startServices(['monitor', 'history', 'assistant'], {
      ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
      ...otel,
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
        ...otel,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      },
    });
    const res = await fetch(`${gateway.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        access_key: alice.accessKeyId,
        secret_key: alice.secretAccessKey,
        region: 'us-east-1',
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    token = ((await res.json()) as { token: string }).token;
  });
  after(async () => {
    await gateway?.stop();
    await services?.stop();
    await receiver?.close();
    await standIn?.close();
  });

  const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);

  test('one read-only ask is one trace with spans from the gateway, assistant, history and monitor, parents intact', async () => {
    const res = await fetch(`${gateway.url}/api/ask`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        traceparent: `00-${browserTraceId}-${browserSpanId}-01`,
      },
      body: JSON.stringify({ query: 'list ec2 instance ids' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-trace-id'), browserTraceId, 'the response names the trace');

    const wanted = ['gateway', 'assistant', 'history', 'monitor'];
    const spans = await waitFor(
      'spans of every service in the trace',
      () => {
        const found = spansOf(browserTraceId);
        const services = new Set(found.map((s) => s.service));
        return wanted.every((w) => services.has(w)) ? found : undefined;
      },
      { timeoutMs: 15_000 },
    );
    // Let stragglers of the same trace arrive, then check the tree.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const all = spansOf(browserTraceId);
    const byId = new Map(all.map((s) => [s.spanId, s]));
    for (const span of all) {
      assert.ok(
        span.parentSpanId === browserSpanId || byId.has(span.parentSpanId),
        `${span.service} span "${span.name}" has a parent in the trace (${span.parentSpanId})`,
      );
    }
    const rootOf = (s: ReceivedSpan): ReceivedSpan => {
      let current = s;
      for (let hops = 0; hops < 50; hops += 1) {
        const parent = byId.get(current.parentSpanId);
        if (!parent) return current;
        current = parent;
      }
      throw new Error('parent links form a loop');
    };
    const gatewayServer = all.find((s) => s.service === 'gateway' && s.name === 'POST /api/ask');
    assert.ok(
      gatewayServer,
      `a gateway server span; got ${all.map((s) => `${s.service}:${s.name}`).join(', ')}`,
    );
    assert.equal(gatewayServer.parentSpanId, browserSpanId, "the gateway continues the browser's span");
    for (const service of wanted) {
      const first = spans.find((s) => s.service === service);
      assert.ok(first);
      assert.equal(rootOf(first).spanId, gatewayServer.spanId, `${service}'s spans hang under the gateway's`);
    }
    const names = all.map((s) => s.name);
    for (const name of ['assistant.plan', 'assistant.validate', 'aws.cli ec2 describe-instances'])
      assert.ok(names.includes(name), `span ${name} among ${names.join(', ')}`);
    const cli = all.find((s) => s.name === 'aws.cli ec2 describe-instances');
    assert.equal(cli?.attributes['process.exit_code'], 0);
    assert.equal(cli?.attributes['cloud.region'], 'us-east-1');
    const cliText = JSON.stringify(cli?.attributes);
    assert.ok(
      !cliText.includes(alice.secretAccessKey) && !cliText.includes(alice.accessKeyId),
      'no credentials',
    );
    assert.ok(
      names.includes('db.transaction history_entries.insert'),
      'the history save has its database span',
    );
    assert.ok(
      names.includes('db.transaction audit_events.insert'),
      'the monitor ingest has its database span',
    );
    assert.deepEqual(new Set(receiver.contentTypes), new Set(['application/x-protobuf', 'application/json']));

    // The audit event the monitor stored links back to the trace, and the request's log lines carry it.
    const event = await waitFor(
      'the stored audit event of the trace',
      async () => {
        const list = await fetch(`${gateway.url}/api/monitor/events?action_type=assistant.result`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await list.json()) as { items: Array<{ trace_id?: string | null }> };
        return body.items.find((e) => e.trace_id === browserTraceId);
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(event.trace_id, browserTraceId);
    assert.match(services.processes.assistant?.output() ?? '', new RegExp(`"traceId":"${browserTraceId}"`));
  });

  test('an error answer names its trace next to its request id', async () => {
    const res = await fetch(`${gateway.url}/api/ask`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '' }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { requestId: string; traceId?: string } };
    assert.match(body.error.traceId ?? '', /^[0-9a-f]{32}$/);
    assert.equal(res.headers.get('x-trace-id'), body.error.traceId);
  });
});
