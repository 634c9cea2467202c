import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, readTracingConfig, startTracing, type TracingHandle } from '@ashapp/platform';
import { startOtlpReceiver, type OtlpReceiver } from '@ashapp/platform/testing';
import {
  createFakeBuilder,
  createFakeTarget,
  helloCode,
  identityHeaders,
  startTestDeployer,
  users,
  type FakeTarget,
  type TestDeployer,
} from '../../test/service-harness.ts';
import type { RegistrySignInChecker } from '../registry/registry-sign-in.ts';

describe('deploy pipeline tracing (OTLP collector stand-in)', () => {
  let receiver: OtlpReceiver;
  let tracing: TracingHandle;
  let target: FakeTarget;
  let deployer: TestDeployer;

  before(async () => {
    receiver = await startOtlpReceiver();
    // Tracing starts before the app is built, as main.ts does it.
    tracing = await startTracing(
      readTracingConfig('deployer', {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '50',
      }),
      createLogger({ name: 'deployer-tracing-test', level: 'silent' }),
    );
    target = await createFakeTarget();
    // The registry cannot be reached from a test; this checker accepts the test's credentials.
    const registryChecker: RegistrySignInChecker = {
      verifyCredentials: async ({ registry }) => ({
        registry: registry ?? 'docker.io',
        apiHost: registry ?? '',
        scheme: 'basic',
      }),
    };
    deployer = await startTestDeployer({
      builder: createFakeBuilder(),
      target,
      registryChecker,
      config: { stabilityWindowMs: 20 },
    });
  });
  after(async () => {
    await deployer?.close();
    await target?.close();
    await tracing?.shutdown();
    await receiver?.close();
  });

  test('one deploy is one trace with a span per stage: validate, build, push, apply, rollout, test', async () => {
    const login = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/docker-login',
      payload: {
        docker_user: 'tracer',
        docker_token: 'dckr_pat_tracing_secret',
        registry: 'registry.example.com',
      },
      headers: identityHeaders(users.alice),
    });
    assert.equal(login.statusCode, 200, login.body);
    const res = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/deploy',
      payload: { app_name: 'traced', code: helloCode, namespace: 'default' },
      headers: identityHeaders(users.alice),
    });
    assert.equal(res.statusCode, 202, res.body);
    await deployer.runner.idle();
    const record = await deployer.app.inject({
      url: `/deployer-api/deployments/${res.json().deployment_id}`,
      headers: identityHeaders(users.alice),
    });
    assert.equal(record.json().state, 'Stable', record.body);
    await tracing.shutdown(); // flushes every buffered span

    const root = receiver.spans.find((s) => s.name === 'deploy');
    assert.ok(root, `a deploy span among ${receiver.spans.map((s) => s.name).join(', ')}`);
    assert.equal(root.service, 'deployer');
    assert.equal(root.attributes['ashapp.deployment.app'], 'traced');
    const trace = receiver.spans.filter((s) => s.traceId === root.traceId);
    const children = trace.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
    for (const stage of [
      'deploy.validate code',
      'deploy.validate manifests',
      'deploy.build',
      'deploy.push',
      'deploy.apply',
      'deploy.rollout',
      'deploy.test',
    ])
      assert.ok(
        children.includes(stage),
        `${stage} is a child of the deploy span (children: ${children.join(', ')})`,
      );
    // The request that started it is the deploy's parent; the sign-in has its own span; no secret anywhere.
    const ancestors: string[] = [];
    for (let at = root.parentSpanId, hops = 0; at && hops < 10; hops += 1) {
      const parent = trace.find((s) => s.spanId === at);
      if (!parent) break;
      ancestors.push(parent.name);
      at = parent.parentSpanId;
    }
    assert.ok(
      ancestors.includes('POST /deployer-api/deploy'),
      `the deploy request is an ancestor: ${ancestors.join(' < ')}`,
    );
    assert.ok(
      receiver.spans.some(
        (s) => s.name === 'registry.sign_in' && s.attributes['ashapp.registry'] === 'registry.example.com',
      ),
    );
    assert.ok(
      !JSON.stringify(receiver.spans).includes('dckr_pat_tracing_secret'),
      'the registry token is in no span',
    );
  });
});
