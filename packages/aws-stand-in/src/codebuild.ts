import { randomUUID } from 'node:crypto';
import type { ServiceReply, StandInUser } from './types.ts';

interface Project {
  name: string;
  arn: string;
  source: Record<string, unknown>;
  artifacts: Record<string, unknown>;
  environment: Record<string, unknown>;
  serviceRole: string;
  created: number;
}

interface Build {
  id: string;
  arn: string;
  projectName: string;
  startTime: number;
  endTime: number;
  logGroup: string;
  logStream: string;
}

export interface CodeBuildState {
  projects: Map<string, Project>;
  builds: Build[];
  /** Log events by `${group}\n${stream}`. */
  logEvents: Map<string, { timestamp: number; message: string; ingestionTime: number }[]>;
  /** Epoch milliseconds now, and a new build id suffix: injectable so two stand-ins answer alike. */
  clock: () => number;
  newId: () => string;
}

export function createCodeBuildState(
  clock: () => number = Date.now,
  newId: () => string = randomUUID,
): CodeBuildState {
  return { projects: new Map(), builds: [], logEvents: new Map(), clock, newId };
}

type JsonReply = (status: number, body: unknown, errorCode?: string) => ServiceReply;

export function jsonReplier(action: string, params: Record<string, unknown>): JsonReply {
  return (status, body, errorCode) => ({
    status,
    body: JSON.stringify(body),
    action,
    params,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      ...(errorCode ? { 'x-amzn-errortype': errorCode } : {}),
    },
    ...(errorCode ? { errorCode } : {}),
  });
}

export function jsonError(
  action: string,
  params: Record<string, unknown>,
  status: number,
  code: string,
  message: string,
): ServiceReply {
  return jsonReplier(action, params)(status, { __type: code, message }, code);
}

const PHASES = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED',
];

function renderBuild(build: Build, region: string): Record<string, unknown> {
  // Builds in the stand-in finish at once, so a client following phases sees the full, successful sequence.
  const phases = PHASES.map((phaseType, index) => ({
    phaseType,
    ...(phaseType === 'COMPLETED' ? {} : { phaseStatus: 'SUCCEEDED' }),
    startTime: build.startTime + index,
    ...(phaseType === 'COMPLETED' ? {} : { endTime: build.startTime + index + 1, durationInSeconds: 1 }),
  }));
  return {
    id: build.id,
    arn: build.arn,
    buildNumber: 1,
    startTime: build.startTime,
    endTime: build.endTime,
    currentPhase: 'COMPLETED',
    buildStatus: 'SUCCEEDED',
    projectName: build.projectName,
    phases,
    buildComplete: true,
    logs: {
      groupName: build.logGroup,
      streamName: build.logStream,
      deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${region}#logEvent:group=${build.logGroup};stream=${build.logStream}`,
    },
  };
}

export function handleCodeBuild(
  state: CodeBuildState,
  user: StandInUser,
  region: string,
  operation: string,
  params: Record<string, unknown>,
): ServiceReply {
  const reply = jsonReplier(operation, params);
  const projectArn = (name: string) => `arn:aws:codebuild:${region}:${user.account}:project/${name}`;
  switch (operation) {
    case 'CreateProject': {
      const name = params['name'];
      if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$/.test(name)) {
        return jsonError(operation, params, 400, 'InvalidInputException', 'Invalid project name');
      }
      if (
        typeof params['serviceRole'] !== 'string' ||
        !params['source'] ||
        !params['environment'] ||
        !params['artifacts']
      ) {
        return jsonError(
          operation,
          params,
          400,
          'InvalidInputException',
          'source, artifacts, environment and serviceRole are required',
        );
      }
      if (state.projects.has(name)) {
        return jsonError(
          operation,
          params,
          400,
          'ResourceAlreadyExistsException',
          `Project already exists: ${projectArn(name)}`,
        );
      }
      const project: Project = {
        name,
        arn: projectArn(name),
        source: params['source'] as Record<string, unknown>,
        artifacts: params['artifacts'] as Record<string, unknown>,
        environment: params['environment'] as Record<string, unknown>,
        serviceRole: params['serviceRole'] as string,
        created: state.clock() / 1000,
      };
      state.projects.set(name, project);
      return reply(200, { project: { ...project, lastModified: project.created } });
    }
    case 'BatchGetProjects': {
      const names = Array.isArray(params['names']) ? (params['names'] as string[]) : [];
      return reply(200, {
        projects: names.filter((n) => state.projects.has(n)).map((n) => state.projects.get(n)),
        projectsNotFound: names.filter((n) => !state.projects.has(n)),
      });
    }
    case 'ListProjects':
      return reply(200, { projects: [...state.projects.keys()].sort() });
    case 'StartBuild': {
      const name = params['projectName'];
      const project = typeof name === 'string' ? state.projects.get(name) : undefined;
      if (!project) {
        return jsonError(
          operation,
          params,
          400,
          'ResourceNotFoundException',
          `Project cannot be found: ${projectArn(String(name))}`,
        );
      }
      const uuid = state.newId();
      const now = state.clock() / 1000;
      const build: Build = {
        id: `${project.name}:${uuid}`,
        arn: `arn:aws:codebuild:${region}:${user.account}:build/${project.name}:${uuid}`,
        projectName: project.name,
        startTime: now,
        endTime: now + 11,
        logGroup: `/aws/codebuild/${project.name}`,
        logStream: uuid,
      };
      state.builds.push(build);
      const ms = state.clock();
      state.logEvents.set(
        `${build.logGroup}\n${build.logStream}`,
        [
          `[Container] ${new Date(ms).toISOString()} Running on CodeBuild stand-in`,
          '[Container] Phase is DOWNLOAD_SOURCE',
          '[Container] Entering phase BUILD',
          'echo build',
          '[Container] Phase complete: BUILD State: SUCCEEDED',
        ].map((message, index) => ({
          timestamp: ms + index,
          message: `${message}\n`,
          ingestionTime: ms + index,
        })),
      );
      return reply(200, {
        build: {
          ...renderBuild(build, region),
          currentPhase: 'SUBMITTED',
          buildStatus: 'IN_PROGRESS',
          buildComplete: false,
          phases: [{ phaseType: 'SUBMITTED', startTime: now }],
        },
      });
    }
    case 'BatchGetBuilds': {
      const ids = Array.isArray(params['ids']) ? (params['ids'] as string[]) : [];
      const found = ids
        .map((id) => state.builds.find((b) => b.id === id))
        .filter((b): b is Build => b !== undefined);
      return reply(200, {
        builds: found.map((b) => renderBuild(b, region)),
        buildsNotFound: ids.filter((id) => !state.builds.some((b) => b.id === id)),
      });
    }
    case 'ListBuildsForProject': {
      const name = params['projectName'];
      if (typeof name !== 'string' || !state.projects.has(name)) {
        return jsonError(
          operation,
          params,
          400,
          'ResourceNotFoundException',
          `The provided project name does not exist: ${String(name)}`,
        );
      }
      const ids = state.builds.filter((b) => b.projectName === name).map((b) => b.id);
      return reply(200, { ids: params['sortOrder'] === 'ASCENDING' ? ids : ids.reverse() });
    }
    case 'ListBuilds':
      return reply(200, { ids: state.builds.map((b) => b.id).reverse() });
    default:
      return jsonError(operation, params, 400, 'UnknownOperationException', '');
  }
}
