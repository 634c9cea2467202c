/**
 * The assistant's CodeBuild contract (`/api/codebuild/*`, `POST /create-codebuild-project`) and the types
 * derived from it.
 */
import { Type, type Static } from 'typebox';

export const CreateProjectBody = Type.Object(
  {
    project_name: Type.String({ minLength: 1, maxLength: 255 }),
    source_location: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'https Git URL (GitHub, GitLab, Bitbucket, CodeCommit) or s3://bucket/key',
    }),
    build_spec: Type.String({ minLength: 1, maxLength: 65_536, description: 'buildspec YAML' }),
    service_role: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);
export type CreateProjectBody = Static<typeof CreateProjectBody>;

const ProjectView = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  source_type: Type.String(),
  source_location: Type.String(),
});

export const CreateProjectReply = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  project: ProjectView,
  reference_url: Type.String(),
});
export type CreateProjectReply = Static<typeof CreateProjectReply>;

export const ProjectParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) });
export const BuildParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 400 }) });

export const StartBuildBody = Type.Object(
  { source_version: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) },
  { additionalProperties: false },
);
export type StartBuildBody = Static<typeof StartBuildBody>;

export const PageQuery = Type.Object({
  next_token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
});

const Phase = Type.Object({
  name: Type.String(),
  status: Type.Optional(Type.String()),
  duration: Type.Union([Type.Number(), Type.Null()]),
  start_time: Type.Optional(Type.String()),
  end_time: Type.Optional(Type.String()),
});

export const BuildView = Type.Object({
  id: Type.String(),
  project_name: Type.Optional(Type.String()),
  status: Type.String(),
  current_phase: Type.Optional(Type.String()),
  complete: Type.Boolean(),
  start_time: Type.Optional(Type.String()),
  end_time: Type.Optional(Type.String()),
  phases: Type.Array(Phase),
  logs_url: Type.Optional(Type.String()),
});
export type BuildView = Static<typeof BuildView>;

export const StartBuildReply = Type.Object({ id: Type.String(), status: Type.String(), build: BuildView });
export type StartBuildReply = Static<typeof StartBuildReply>;

export const ListBuildsReply = Type.Object({
  items: Type.Array(Type.Object({ id: Type.String() })),
  ids: Type.Array(Type.String()),
  next_token: Type.Optional(Type.String()),
});
export type ListBuildsReply = Static<typeof ListBuildsReply>;

export const LogsReply = Type.Object({
  lines: Type.Array(Type.String()),
  events: Type.Array(Type.Object({ timestamp: Type.Number(), message: Type.String() })),
  next_token: Type.Optional(Type.String()),
});
export type LogsReply = Static<typeof LogsReply>;

export const ServiceRolesReply = Type.Object({
  roles: Type.Array(
    Type.Object({ name: Type.String(), arn: Type.String(), description: Type.Optional(Type.String()) }),
    { description: 'Roles whose trust policy lets codebuild.amazonaws.com assume them' },
  ),
  default_role: Type.Union([Type.String(), Type.Null()], {
    description: "The operator's default, used when none is chosen",
  }),
  list_error: Type.Optional(
    Type.String({ description: 'Why the roles could not be listed (enter an ARN instead)' }),
  ),
});
export type ServiceRolesReply = Static<typeof ServiceRolesReply>;
