import { requireIdentity, type ServiceApp } from '@ashapp/platform';
import { Type } from 'typebox';
import { readRequestMeta } from '../request-meta.ts';
import type { DeploymentStreams } from './deployment-stream.ts';
import type { DeploymentsService } from './deployments-service.ts';
import {
  DeletedView,
  DeployAccepted,
  DeployBody,
  DeploymentDetail,
  DeploymentList,
  DeploymentParams,
  ListDeploymentsQuery,
  NamespaceQuery,
  NamespacesView,
  PreviewView,
  RevisionList,
  RollbackBody,
  ValidateBody,
  ValidationView,
} from '@ashapp/contracts/deployer';

const AppParams = Type.Object({ app: Type.String({ minLength: 1, maxLength: 253 }) });

export function registerDeploymentRoutes(
  app: ServiceApp,
  deps: { service: DeploymentsService; streams: DeploymentStreams },
): void {
  const { service, streams } = deps;

  app.post(
    '/deployer-api/validate',
    {
      schema: {
        summary:
          "Check pasted Flask code with Python's own parser: syntax errors with line and column, the app object, its port",
        body: ValidateBody,
        response: { 200: ValidationView },
      },
    },
    async (request) => service.validate(requireIdentity(request), request.body),
  );

  app.post(
    '/deployer-api/preview',
    {
      schema: {
        summary:
          'The manifests a deploy would apply, validated against the Kubernetes schemas; nothing is built or applied',
        body: DeployBody,
        response: { 200: PreviewView },
      },
    },
    async (request) => service.preview(requireIdentity(request), request.body),
  );

  app.post(
    '/deployer-api/deploy',
    {
      schema: {
        summary: 'Start a deployment (pasted code or a Git repository); follow it at stream_url',
        description:
          'Answers 202 at once; the pipeline (Validating → Preparing → Building → Deploying → Testing → Monitoring → Stable, or Rollback → RolledBack) runs in the background. 403 when the app belongs to another user, 409 while another deployment of the app runs.',
        body: DeployBody,
        response: { 202: DeployAccepted },
      },
    },
    async (request, reply) => {
      const accepted = await service.deploy(requireIdentity(request), request.body, readRequestMeta(request));
      return reply.status(202).send(accepted);
    },
  );

  app.get(
    '/deployer-api/namespaces',
    {
      schema: {
        summary: 'The namespaces you may deploy into, and the one used when a request names none',
        response: { 200: NamespacesView },
      },
    },
    async (request) => service.namespaces(requireIdentity(request)),
  );

  app.get(
    '/deployer-api/deployments',
    {
      schema: {
        summary: 'Deployments, newest first (your own; admins see everyone’s)',
        querystring: ListDeploymentsQuery,
        response: { 200: DeploymentList },
      },
    },
    async (request) => service.list(requireIdentity(request), request.query),
  );

  app.get(
    '/deployer-api/deployments/:id',
    {
      schema: {
        summary: 'One deployment with its events (states and log lines)',
        params: DeploymentParams,
        response: { 200: DeploymentDetail },
      },
    },
    async (request) => service.get(requireIdentity(request), request.params.id),
  );

  app.get(
    '/deployer-api/deployments/:id/stream',
    {
      schema: {
        summary: 'Live progress (server-sent events): stored events replayed, then live ones, then `done`',
        description:
          '`event: state` {state, progress, at, message?}; `event: log` {line, stage, at}; `event: done` {state, url?, image?, manifest?, error?}, after which the stream ends. Comment lines keep it alive; ids allow resuming with Last-Event-ID.',
        params: DeploymentParams,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const row = await service.readVisible(requireIdentity(request), request.params.id);
      await streams.open(request, reply, row);
      return reply;
    },
  );

  app.get(
    '/deployer-api/deployments/:id/revisions',
    {
      schema: {
        summary: "An app's revisions, newest first, and which one is live (`:id` is the app name)",
        params: DeploymentParams,
        querystring: NamespaceQuery,
        response: { 200: RevisionList },
      },
    },
    async (request) =>
      service.revisions(requireIdentity(request), request.params.id, request.query.namespace),
  );

  app.post(
    '/deployer-api/deployments/:id/rollback',
    {
      schema: {
        summary: "Roll an app back to an earlier revision's exact manifest and image (`:id` is the app name)",
        description: 'Answers 202 with the new deployment (kind rollback) to follow like a deploy.',
        params: DeploymentParams,
        body: RollbackBody,
        response: { 202: DeployAccepted },
      },
    },
    async (request, reply) => {
      const accepted = await service.rollback(
        requireIdentity(request),
        request.params.id,
        request.body,
        readRequestMeta(request),
      );
      return reply.status(202).send(accepted);
    },
  );

  app.delete(
    '/deployer-api/apps/:app',
    {
      schema: {
        summary: 'Remove an app from the target and mark it deleted (its records stay)',
        params: AppParams,
        querystring: NamespaceQuery,
        response: { 200: DeletedView },
      },
    },
    async (request) =>
      service.deleteApp(
        requireIdentity(request),
        request.params.app,
        request.query.namespace,
        readRequestMeta(request),
      ),
  );

  app.addHook('preClose', async () => streams.closeAll());
}
