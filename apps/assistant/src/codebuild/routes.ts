import type { AuditOutbox, AwsCredentials, ServiceApp } from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { readCaller } from '../request-context.ts';
import { buildConsoleUrl } from '../reference/console-links.ts';
import type { BuildSummary, CodeBuildService } from './codebuild-service.ts';
import {
  BuildParams,
  BuildView,
  CreateProjectBody,
  CreateProjectReply,
  ListBuildsReply,
  LogsReply,
  PageQuery,
  ProjectParams,
  ServiceRolesReply,
  StartBuildBody,
  StartBuildReply,
} from '@ashapp/contracts/codebuild';

/** Opens a CodeBuild client as the signed-in user; the route closes it after the call. */
export type OpenCodeBuild = (credentials: AwsCredentials) => CodeBuildService;

function toBuildView(build: BuildSummary): Static<typeof BuildView> {
  return {
    id: build.id,
    ...(build.projectName ? { project_name: build.projectName } : {}),
    status: build.status ?? 'UNKNOWN',
    ...(build.currentPhase ? { current_phase: build.currentPhase } : {}),
    complete: build.complete,
    ...(build.startTime ? { start_time: build.startTime } : {}),
    ...(build.endTime ? { end_time: build.endTime } : {}),
    phases: build.phases.map((p) => ({
      name: p.phase,
      ...(p.status ? { status: p.status } : {}),
      duration: p.durationSeconds ?? null,
      ...(p.startTime ? { start_time: p.startTime } : {}),
      ...(p.endTime ? { end_time: p.endTime } : {}),
    })),
    ...(build.logs.deepLink ? { logs_url: build.logs.deepLink } : {}),
  };
}

/**
 * CodeBuild through the AWS SDK as the signed-in user: the original `POST /create-codebuild-project` and
 * `/api/codebuild/*` (create, start, list, phases, logs). Every call is an audit event, failed ones too.
 */
export function registerCodeBuildRoutes(
  app: ServiceApp,
  deps: { openCodeBuild: OpenCodeBuild; audit: AuditOutbox; internalSecret: string },
): void {
  async function withCodeBuild<T>(
    request: FastifyRequest,
    action: string,
    requestData: Record<string, unknown>,
    work: (codebuild: CodeBuildService, region: string) => Promise<T>,
    summarize: (result: T) => Record<string, unknown>,
  ): Promise<T> {
    const caller = readCaller(request, deps.internalSecret);
    const event = {
      user_id: caller.identity.userId,
      endpoint: caller.meta.endpoint,
      action_type: action,
      request_data: requestData,
      ip_address: caller.meta.ip,
      ...(caller.meta.userAgent ? { user_agent: caller.meta.userAgent } : {}),
      request_id: caller.identity.requestId,
    };
    const codebuild = deps.openCodeBuild(caller.credentials);
    try {
      const result = await work(codebuild, caller.credentials.region);
      await deps.audit.record({ ...event, response_summary: { ok: true, ...summarize(result) } });
      return result;
    } catch (err) {
      const e = err as { status?: number; code?: string };
      await deps.audit.record({
        ...event,
        response_summary: { ok: false, status: e.status ?? 500, code: e.code ?? 'INTERNAL' },
      });
      throw err;
    } finally {
      await codebuild.close();
    }
  }

  const createProject = async (request: FastifyRequest, body: CreateProjectBody) => {
    const { project, region } = await withCodeBuild(
      request,
      'codebuild.create_project',
      { project_name: body.project_name, source_location: body.source_location },
      async (codebuild, region) => ({ project: await codebuild.createProject(body), region }),
      (r) => ({ project: r.project.name }),
    );
    return {
      success: true,
      message: `CodeBuild project ${project.name} created`,
      project: {
        name: project.name,
        arn: project.arn,
        source_type: project.sourceType,
        source_location: project.sourceLocation,
      },
      reference_url: buildConsoleUrl({
        service: 'codebuild',
        operation: 'create-project',
        parameters: { name: project.name },
        region,
      }),
    };
  };

  const createSchema = {
    body: CreateProjectBody,
    response: { 201: CreateProjectReply },
  };
  app.post(
    '/create-codebuild-project',
    { schema: { summary: "Create a CodeBuild project (the original's endpoint)", ...createSchema } },
    async (request, reply) => reply.status(201).send(await createProject(request, request.body)),
  );
  app.get(
    '/api/codebuild/service-roles',
    {
      schema: {
        summary: 'IAM roles CodeBuild may assume, for a new project (IAM ListRoles as the user)',
        response: { 200: ServiceRolesReply },
      },
    },
    async (request) => {
      const result = await withCodeBuild(
        request,
        'codebuild.list_service_roles',
        {},
        (codebuild) => codebuild.listServiceRoles(),
        (r) => ({ roles: r.roles.length }),
      );
      return {
        roles: result.roles,
        default_role: result.defaultRole ?? null,
        ...(result.listError ? { list_error: result.listError } : {}),
      };
    },
  );

  app.post(
    '/api/codebuild/projects',
    { schema: { summary: 'Create a CodeBuild project', ...createSchema } },
    async (request, reply) => reply.status(201).send(await createProject(request, request.body)),
  );

  app.post(
    '/api/codebuild/projects/:name/builds',
    {
      schema: {
        summary: 'Start a build of a project',
        params: ProjectParams,
        body: StartBuildBody,
        response: { 201: StartBuildReply },
      },
    },
    async (request, reply) => {
      const sourceVersion = request.body?.source_version;
      const build = await withCodeBuild(
        request,
        'codebuild.start_build',
        { project_name: request.params.name },
        (codebuild) => codebuild.startBuild(request.params.name, sourceVersion ? { sourceVersion } : {}),
        (b) => ({ build_id: b.id }),
      );
      const view = toBuildView(build);
      return reply.status(201).send({ id: view.id, status: view.status, build: view });
    },
  );

  app.get(
    '/api/codebuild/projects/:name/builds',
    {
      schema: {
        summary: "A project's builds, newest first",
        params: ProjectParams,
        querystring: PageQuery,
        response: { 200: ListBuildsReply },
      },
    },
    async (request) => {
      const page = await withCodeBuild(
        request,
        'codebuild.list_builds',
        { project_name: request.params.name },
        (codebuild) =>
          codebuild.listBuilds({
            projectName: request.params.name,
            ...(request.query.next_token ? { nextToken: request.query.next_token } : {}),
          }),
        (p) => ({ count: p.ids.length }),
      );
      return {
        items: page.ids.map((id) => ({ id })),
        ids: page.ids,
        ...(page.nextToken ? { next_token: page.nextToken } : {}),
      };
    },
  );

  app.get(
    '/api/codebuild/builds/:id',
    {
      schema: {
        summary: "A build's status and phases",
        params: BuildParams,
        response: { 200: BuildView },
      },
    },
    async (request) =>
      toBuildView(
        await withCodeBuild(
          request,
          'codebuild.get_build',
          { build_id: request.params.id },
          (codebuild) => codebuild.getBuild(request.params.id),
          (b) => ({ status: b.status ?? 'UNKNOWN' }),
        ),
      ),
  );

  app.get(
    '/api/codebuild/builds/:id/logs',
    {
      schema: {
        summary: "A build's log lines (CloudWatch Logs)",
        params: BuildParams,
        querystring: PageQuery,
        response: { 200: LogsReply },
      },
    },
    async (request) => {
      const logs = await withCodeBuild(
        request,
        'codebuild.read_logs',
        { build_id: request.params.id },
        (codebuild) =>
          codebuild.readBuildLogs(
            request.params.id,
            request.query.next_token ? { nextToken: request.query.next_token } : {},
          ),
        (l) => ({ lines: l.events.length }),
      );
      return {
        lines: logs.events.map((e) => e.message.replace(/\r?\n$/, '')),
        events: logs.events,
        ...(logs.nextToken ? { next_token: logs.nextToken } : {}),
      };
    },
  );
}
