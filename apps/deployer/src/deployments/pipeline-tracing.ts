import { withSpan, withSyncSpan } from '@ashapp/platform';
import type { RegistrySignInChecker } from '../registry/registry-sign-in.ts';
import type { DeploymentPipeline, PipelineDeps } from './deployment-pipeline.ts';

// Spans for the deploy pipeline, added by wrapping the pipeline's dependencies (not its code): the pipeline
// stays as it is, and each stage that calls out (validate, build, push, apply, rollout) gets a span. The
// HTTP test stage is the pipeline's own; it calls `withSpan('deploy.test', …)` there.

/** The pipeline with one parent span per deployment run; its stages become its children. */
export function traceDeploymentPipeline(pipeline: DeploymentPipeline): DeploymentPipeline {
  return {
    run: (plan, signal, releaseApp) =>
      withSpan(
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
      withSpan('deploy.recover', { 'ashapp.deployment.id': row.id }, () => pipeline.recover(row, signal)),
  };
}

/** The pipeline's dependencies with a span around each stage they carry out. */
export function tracePipelineDeps(deps: PipelineDeps): PipelineDeps {
  const { builder, target, checker, validator } = deps;
  return {
    ...deps,
    checker: {
      ...checker,
      checkFlaskApp: (code, options) =>
        withSpan('deploy.validate code', {}, () => checker.checkFlaskApp(code, options)),
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
        withSpan('deploy.build', { 'ashapp.builder': builder.name }, () => builder.build(request)),
      // The registry host only: the credentials in the request never reach a span.
      push: (request) =>
        withSpan('deploy.push', { 'ashapp.registry': request.registry }, () => builder.push(request)),
    },
    target: {
      ...target,
      apply: (objects, options) =>
        withSpan(
          'deploy.apply',
          { 'ashapp.target': target.name, 'k8s.namespace.name': options.namespace },
          () => target.apply(objects, options),
        ),
      followRollout: (workload, options) =>
        withSpan(
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
      withSpan('registry.sign_in', { 'ashapp.registry': request.registry }, () =>
        checker.verifyCredentials(request),
      ),
  };
}
