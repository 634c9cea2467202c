import {
  withSpan as spanOf,
  withSyncSpan,
  type Attributes,
  type MetricsRegistry,
  type Span,
} from '@ashapp/platform';
import { Histogram } from 'prom-client';
import type { RegistrySignInChecker } from '../registry/registry-sign-in.ts';
import type { DeploymentPipeline, PipelineDeps } from './deployment-pipeline.ts';

// Spans for the deploy pipeline, added by wrapping the pipeline's dependencies (not its code): the pipeline
// stays as it is, and each stage that calls out (validate, build, push, apply, rollout) gets a span. The
// HTTP test stage is the pipeline's own; it calls `withSpan('deploy.test', …)` there.

/** The pipeline with one parent span per deployment run; its stages become its children. */
export function traceDeploymentPipeline(pipeline: DeploymentPipeline): DeploymentPipeline {
  return {
    run: (plan, signal, releaseApp) =>
      spanOf(
        'deploy',
        {
          'ashapp.deployment.id': plan.row.id,
          'ashapp.deployment.app': plan.row.app_name,
          'ashapp.deployment.namespace': plan.row.namespace,
          'ashapp.deployment.revision': plan.row.revision,
          'ashapp.deployment.target': plan.row.target,
        },
        () => pipeline.run(plan, signal, releaseApp),
      ),
    recover: (row, signal) =>
      spanOf('deploy.recover', { 'ashapp.deployment.id': row.id }, () => pipeline.recover(row, signal)),
  };
}

/**
 * The pipeline's dependencies with a span around each stage they carry out, and each stage's duration in
 * `ashapp_deployment_stage_duration_seconds{stage, outcome}` when a registry is given.
 */
export function tracePipelineDeps(deps: PipelineDeps, registry?: MetricsRegistry): PipelineDeps {
  const { builder, target, checker, validator } = deps;
  const stageDuration = registry
    ? new Histogram({
        name: 'ashapp_deployment_stage_duration_seconds',
        help: 'Duration of deploy pipeline stages (validate, build, push, apply, rollout) in seconds, by outcome.',
        labelNames: ['stage', 'outcome'],
        buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
        registers: [registry],
      })
    : undefined;
  const stageSpan = <T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> => {
    const stage = name.split(/[ .]/)[1] ?? name;
    const started = performance.now();
    return spanOf(name, attributes, fn).then(
      (value) => {
        stageDuration?.observe({ stage, outcome: 'success' }, (performance.now() - started) / 1000);
        return value;
      },
      (err: unknown) => {
        stageDuration?.observe({ stage, outcome: 'failure' }, (performance.now() - started) / 1000);
        throw err;
      },
    );
  };
  return {
    ...deps,
    checker: {
      ...checker,
      checkFlaskApp: (code, options) =>
        stageSpan('deploy.validate code', {}, () => checker.checkFlaskApp(code, options)),
    },
    validator: {
      ...validator,
      assertValid: (objects) =>
        withSyncSpan('deploy.validate manifests', { 'ashapp.manifest.objects': objects.length }, () =>
          validator.assertValid(objects),
        ),
    },
    builder: builder && {
      ...builder,
      build: (request) =>
        stageSpan('deploy.build', { 'ashapp.builder': builder.name }, () => builder.build(request)),
      // The registry host only: the credentials in the request never reach a span.
      push: (request) =>
        stageSpan('deploy.push', { 'ashapp.registry': request.registry }, () => builder.push(request)),
      ...(builder.buildAndPush
        ? {
            buildAndPush: (request: Parameters<NonNullable<typeof builder.buildAndPush>>[0]) =>
              stageSpan(
                'deploy.build',
                { 'ashapp.builder': builder.name, 'ashapp.registry': request.push.registry },
                () => builder.buildAndPush!(request),
              ),
          }
        : {}),
    },
    target: {
      ...target,
      apply: (objects, options) =>
        stageSpan(
          'deploy.apply',
          { 'ashapp.target': target.name, 'k8s.namespace.name': options.namespace },
          () => target.apply(objects, options),
        ),
      followRollout: (workload, options) =>
        stageSpan(
          'deploy.rollout',
          { 'ashapp.target': target.name, 'ashapp.workload': workload.name },
          async (span) => {
            const result = await target.followRollout(workload, options);
            span.setAttribute('ashapp.rollout.ok', result.ok);
            return result;
          },
        ),
    },
  };
}

/** Registry sign-in checks in a span (registry host and outcome; never the user name or token). */
export function traceRegistrySignIn(checker: RegistrySignInChecker): RegistrySignInChecker {
  return {
    ...checker,
    verifyCredentials: (request) =>
      spanOf('registry.sign_in', { 'ashapp.registry': request.registry }, () =>
        checker.verifyCredentials(request),
      ),
  };
}
