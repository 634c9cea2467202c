import type { Build, SourceType } from '@aws-sdk/client-codebuild';
import {
  AppError,
  ConflictError,
  InputError,
  NotAuthenticatedError,
  NotFoundError,
  UpstreamError,
} from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';
import { listCodeBuildServiceRoles, type ServiceRoleChoice } from './codebuild-roles.ts';
import { openCodeBuildClients, type CodeBuildClients } from './codebuild-sdk.ts';
import {
  PROJECT_NAME,
  readSourceLocation,
  validateCreateProjectInput,
  type CreateProjectInput,
} from './project-input.ts';

export { readSourceLocation, validateCreateProjectInput, type CreateProjectInput } from './project-input.ts';

export interface CodeBuildServiceOptions {
  credentials: AwsSigningKeys;
  region: string;
  /** Operator endpoint override (`ASSISTANT_AWS_ENDPOINT_URL`). */
  endpoint?: string;
  /** Default service role for new projects (configuration), used when the request names none. */
  serviceRoleArn?: string;
  defaultImage?: string;
  maxAttempts?: number;
}

/** The original `POST /create-codebuild-project` body, plus optional extras. */
export interface ProjectSummary {
  name: string;
  arn: string;
  sourceType: SourceType;
  sourceLocation: string;
}

export interface BuildPhase {
  phase: string;
  status: string | undefined;
  startTime: string | undefined;
  endTime: string | undefined;
  durationSeconds: number | undefined;
}

export interface BuildSummary {
  id: string;
  projectName: string | undefined;
  status: string | undefined;
  currentPhase: string | undefined;
  complete: boolean;
  startTime: string | undefined;
  endTime: string | undefined;
  phases: BuildPhase[];
  logs: { groupName: string | undefined; streamName: string | undefined; deepLink: string | undefined };
}

export interface CodeBuildService {
  createProject(input: CreateProjectInput): Promise<ProjectSummary>;
  startBuild(projectName: string, options?: { sourceVersion?: string }): Promise<BuildSummary>;
  getBuild(buildId: string): Promise<BuildSummary>;
  readBuildLogs(
    buildId: string,
    options?: { nextToken?: string; limit?: number },
  ): Promise<{ events: { timestamp: number; message: string }[]; nextToken: string | undefined }>;
  listBuilds(options?: {
    projectName?: string;
    nextToken?: string;
  }): Promise<{ ids: string[]; nextToken: string | undefined }>;
  /** Roles CodeBuild may assume (IAM ListRoles as the user), and the operator's default when set. */
  listServiceRoles(): Promise<{
    roles: ServiceRoleChoice[];
    defaultRole: string | undefined;
    listError?: string;
  }>;
  close(): Promise<void>;
}

const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}:[0-9a-f-]{36}$/;

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'ExpiredToken',
]);

function mapAwsError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const name = (err as { name?: string }).name ?? 'Error';
  const message = (err as Error).message ?? String(err);
  if (CREDENTIAL_ERRORS.has(name))
    return new NotAuthenticatedError('AWS did not accept your credentials: sign in again', { awsCode: name });
  if (name === 'ResourceAlreadyExistsException') return new ConflictError(message, { awsCode: name });
  if (name === 'ResourceNotFoundException') return new NotFoundError(message, { awsCode: name });
  if (name === 'InvalidInputException') return new InputError(message, { awsCode: name });
  return new UpstreamError(`${name}: ${message}`, { awsCode: name });
}

function iso(value: Date | undefined): string | undefined {
  return value ? value.toISOString() : undefined;
}

function summarizeBuild(build: Build): BuildSummary {
  return {
    id: build.id ?? '',
    projectName: build.projectName,
    status: build.buildStatus,
    currentPhase: build.currentPhase,
    complete: build.buildComplete ?? false,
    startTime: iso(build.startTime),
    endTime: iso(build.endTime),
    phases: (build.phases ?? []).map((p) => ({
      phase: p.phaseType ?? 'UNKNOWN',
      status: p.phaseStatus,
      startTime: iso(p.startTime),
      endTime: iso(p.endTime),
      durationSeconds: p.durationInSeconds,
    })),
    logs: {
      groupName: build.logs?.groupName,
      streamName: build.logs?.streamName,
      deepLink: build.logs?.deepLink,
    },
  };
}

/**
 * CodeBuild through the AWS SDK with the signed-in user's credentials: create projects (the original
 * endpoint), start builds, follow phases, read logs, list builds.
 */
export function createCodeBuildService(options: CodeBuildServiceOptions): CodeBuildService {
  const clientConfig = {
    region: options.region,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  // The SDK clients are loaded and opened on the first call, not when the assistant starts: most
  // requests never touch CodeBuild, and the three SDK packages are a large share of start-up memory.
  let opened: Promise<CodeBuildClients> | undefined;
  const open = (): Promise<CodeBuildClients> => (opened ??= openCodeBuildClients(clientConfig));

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw mapAwsError(err);
    }
  }

  function checkBuildId(buildId: string): void {
    if (!BUILD_ID.test(buildId)) throw new InputError('build id must look like <project>:<uuid>');
  }

  async function getBuild(buildId: string): Promise<BuildSummary> {
    checkBuildId(buildId);
    const { sdk, codebuild } = await open();
    const result = await call(() =>
      codebuild.send(new sdk.codebuild.BatchGetBuildsCommand({ ids: [buildId] })),
    );
    const build = result.builds?.[0];
    if (!build) throw new NotFoundError(`build ${buildId} not found`);
    return summarizeBuild(build);
  }

  return {
    async createProject(raw) {
      const input = validateCreateProjectInput(raw);
      const serviceRole = input.service_role ?? options.serviceRoleArn;
      if (!serviceRole)
        throw new InputError('a CodeBuild service role is needed: pass service_role or configure a default', {
          field: 'service_role',
        });
      const source = readSourceLocation(input.source_location);
      const { sdk, codebuild } = await open();
      const result = await call(() =>
        codebuild.send(
          new sdk.codebuild.CreateProjectCommand({
            name: input.project_name,
            ...(input.description ? { description: input.description } : {}),
            source: { type: source.type, location: source.location, buildspec: input.build_spec },
            artifacts: { type: 'NO_ARTIFACTS' },
            environment: {
              type: 'LINUX_CONTAINER',
              image: input.image ?? options.defaultImage ?? 'aws/codebuild/standard:7.0',
              computeType: 'BUILD_GENERAL1_SMALL',
            },
            serviceRole,
          }),
        ),
      );
      return {
        name: result.project?.name ?? input.project_name,
        arn: result.project?.arn ?? '',
        sourceType: source.type,
        sourceLocation: source.location,
      };
    },
    async startBuild(projectName, startOptions = {}) {
      if (!PROJECT_NAME.test(projectName)) throw new InputError('invalid project name');
      const { sdk, codebuild } = await open();
      const result = await call(() =>
        codebuild.send(
          new sdk.codebuild.StartBuildCommand({
            projectName,
            ...(startOptions.sourceVersion ? { sourceVersion: startOptions.sourceVersion } : {}),
          }),
        ),
      );
      if (!result.build) throw new UpstreamError('CodeBuild started no build');
      return summarizeBuild(result.build);
    },
    getBuild,
    async readBuildLogs(buildId, logOptions = {}) {
      const build = await getBuild(buildId);
      if (!build.logs.groupName || !build.logs.streamName) return { events: [], nextToken: undefined };
      const { sdk, logs } = await open();
      const result = await call(() =>
        logs.send(
          new sdk.logs.GetLogEventsCommand({
            logGroupName: build.logs.groupName,
            logStreamName: build.logs.streamName,
            startFromHead: true,
            limit: Math.min(Math.max(logOptions.limit ?? 1000, 1), 10_000),
            ...(logOptions.nextToken ? { nextToken: logOptions.nextToken } : {}),
          }),
        ),
      );
      const events = (result.events ?? []).map((e) => ({
        timestamp: e.timestamp ?? 0,
        message: e.message ?? '',
      }));
      // GetLogEvents returns the same forward token when there is nothing newer: report the end.
      const nextToken =
        result.nextForwardToken && result.nextForwardToken !== logOptions.nextToken
          ? result.nextForwardToken
          : undefined;
      return { events, nextToken };
    },
    async listBuilds(listOptions = {}) {
      const { projectName, nextToken } = listOptions;
      if (projectName !== undefined && !PROJECT_NAME.test(projectName))
        throw new InputError('invalid project name');
      const { sdk, codebuild } = await open();
      const result = projectName
        ? await call(() =>
            codebuild.send(
              new sdk.codebuild.ListBuildsForProjectCommand({
                projectName,
                sortOrder: 'DESCENDING',
                ...(nextToken ? { nextToken } : {}),
              }),
            ),
          )
        : await call(() =>
            codebuild.send(
              new sdk.codebuild.ListBuildsCommand({
                sortOrder: 'DESCENDING',
                ...(nextToken ? { nextToken } : {}),
              }),
            ),
          );
      return { ids: result.ids ?? [], nextToken: result.nextToken };
    },
    async listServiceRoles() {
      // IAM is global; the client is only opened when the panel asks, and closed right after.
      const { sdk } = await open();
      const iam = new sdk.iam.IAMClient(clientConfig);
      try {
        return { roles: await listCodeBuildServiceRoles(iam), defaultRole: options.serviceRoleArn };
      } catch (err) {
        const name = (err as { name?: string }).name ?? '';
        // Many users may create projects but not list roles: the panel then asks for the ARN instead.
        if (name === 'AccessDenied' || name === 'AccessDeniedException') {
          return {
            roles: [],
            defaultRole: options.serviceRoleArn,
            listError: 'Your credentials may not list IAM roles (iam:ListRoles): enter the service role ARN.',
          };
        }
        throw mapAwsError(err);
      } finally {
        iam.destroy();
      }
    },
    async close() {
      // A failed load has already failed its call; there is nothing to close then.
      const clients = await opened?.catch(() => undefined);
      clients?.codebuild.destroy();
      clients?.logs.destroy();
    },
  };
}
