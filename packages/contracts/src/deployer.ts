/**
 * The deployer's public contract (`/deployer-api/*`): request and answer schemas of its routes, the types
 * derived from them, and the server-sent events of a deployment's stream. The deployer's routes validate
 * and serialise with these; the web app and other services type their calls with them.
 */
import type { Identity, ServiceClient } from '@ashapp/platform';
import { Type, type Static, type TSchema } from 'typebox';
import { deploymentStates } from './deployment-states.ts';
import { expectStatus } from './service-call.ts';

export { deploymentStates, type DeploymentState } from './deployment-states.ts';

const DeploymentStateSchema = Type.Enum([...deploymentStates], {
  description:
    'A state of the original README state machine (Initialized … Stable; Rollback, RolledBack, Failed).',
});

const IntegerLike = (description: string) =>
  Type.Union([Type.Integer(), Type.String({ maxLength: 10 })], { description });

export const DeployBody = Type.Object(
  {
    app_name: Type.Optional(
      Type.String({
        maxLength: 253,
        description:
          'DNS-1035 label, at most 50 characters (derived from image_name for a repository source when absent).',
      }),
    ),
    code: Type.Optional(
      Type.String({ maxLength: 300 * 1024, description: 'Pasted Flask app.py (at most 256 KiB).' }),
    ),
    requirements: Type.Optional(
      Type.String({
        maxLength: 20 * 1024,
        description: 'requirements.txt: specifiers only, no pip options or URLs.',
      }),
    ),
    repo_url: Type.Optional(
      Type.String({ maxLength: 2048, description: 'https:// Git URL whose ref holds a Dockerfile.' }),
    ),
    ref: Type.Optional(Type.String({ maxLength: 255, description: 'Branch or tag (default main).' })),
    image_name: Type.Optional(
      Type.String({ maxLength: 255, description: 'Repository path in the registry, e.g. team/app.' }),
    ),
    tag: Type.Optional(Type.String({ maxLength: 128, description: 'Image tag (default r<revision>).' })),
    k8s_kind: Type.Optional(Type.Union([Type.Literal('Deployment'), Type.Literal('ReplicaSet')])),
    replicas: Type.Optional(IntegerLike('1–20')),
    service_type: Type.Optional(
      Type.Union([Type.Literal('ClusterIP'), Type.Literal('NodePort'), Type.Literal('LoadBalancer')]),
    ),
    container_port: Type.Optional(IntegerLike('1–65535 (default 5000)')),
    namespace: Type.Optional(
      Type.String({ maxLength: 253, description: 'DNS-1123 label (default `default`).' }),
    ),
    strategy: Type.Optional(
      Type.Union([Type.Literal('rolling'), Type.Literal('blue-green'), Type.Literal('canary')], {
        description: 'rolling (default); blue-green and canary need the kubernetes target.',
      }),
    ),
    canary_percent: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 99, description: 'Share of replicas on the canary (default 20).' }),
    ),
    ingress: Type.Optional(
      Type.Object(
        {
          host: Type.String({ maxLength: 253, description: 'DNS name the Ingress answers for.' }),
          path: Type.Optional(Type.String({ maxLength: 1024, description: 'URL path prefix (default /).' })),
          tls_secret: Type.Optional(
            Type.String({
              maxLength: 253,
              description: 'TLS Secret in the namespace; HTTPS for the host when given.',
            }),
          ),
          class_name: Type.Optional(
            Type.String({ maxLength: 253, description: 'IngressClass (the cluster default when absent).' }),
          ),
        },
        { additionalProperties: false, description: 'Kubernetes target, rolling strategy.' },
      ),
    ),
    autoscaling: Type.Optional(
      Type.Object(
        {
          min_replicas: Type.Optional(IntegerLike('1–100 (default 1)')),
          max_replicas: IntegerLike('1–100, at least min_replicas'),
          cpu_percent: Type.Optional(IntegerLike('Average CPU utilisation target, 1–100 (default 80)')),
        },
        {
          additionalProperties: false,
          description: 'A HorizontalPodAutoscaler; Kubernetes target, rolling strategy.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBody>;

export const ValidateBody = Type.Object(
  {
    code: Type.String({ maxLength: 300 * 1024 }),
    app_name: Type.Optional(Type.String({ maxLength: 253 })),
  },
  { additionalProperties: false },
);
export type ValidateBody = Static<typeof ValidateBody>;

export const ValidationView = Type.Object({
  valid: Type.Boolean(),
  errors: Type.Array(
    Type.Object({
      line: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
      column: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
      message: Type.String(),
    }),
  ),
  error: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  app_object: Type.Optional(Type.String({ description: 'module:variable gunicorn serves, e.g. app:app' })),
  port: Type.Optional(Type.Integer()),
  routes: Type.Optional(Type.Array(Type.String())),
});
export type ValidationView = Static<typeof ValidationView>;

export const PreviewView = Type.Object({
  manifests: Type.String({ description: 'Multi-document YAML, validated against the Kubernetes schemas.' }),
  objects: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  image: Type.String(),
  revision: Type.Integer(),
});
export type PreviewView = Static<typeof PreviewView>;

export const DeployAccepted = Type.Object({
  deployment_id: Type.String(),
  app_name: Type.String(),
  namespace: Type.String(),
  revision: Type.Integer(),
  state: DeploymentStateSchema,
  stream_url: Type.String(),
});
export type DeployAccepted = Static<typeof DeployAccepted>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const TargetStatusView = Nullable(
  Type.Union(
    [
      Type.Literal('running'),
      Type.Literal('not-ready'),
      Type.Literal('missing'),
      Type.Literal('foreign'),
      Type.Literal('unknown'),
    ],
    {
      description:
        "For the revision the records call live: what the target really runs (missing: removed behind the deployer's back; foreign: the name is held by something else; unknown: the target did not answer). Null for other revisions.",
    },
  ),
);

export const DeploymentView = Type.Object({
  id: Type.String(),
  app_name: Type.String(),
  namespace: Type.String(),
  revision: Type.Integer(),
  kind: Type.String({ description: 'deploy or rollback' }),
  source_revision: Nullable(Type.Integer()),
  state: DeploymentStateSchema,
  progress: Type.Integer(),
  strategy: Type.String(),
  target: Type.String(),
  image: Nullable(Type.String()),
  url: Nullable(Type.String()),
  error: Nullable(Type.String()),
  user_id: Type.String(),
  live: Type.Boolean({
    description: 'Whether this revision is the one serving now (checked against the target itself).',
  }),
  target_status: TargetStatusView,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
});
export type DeploymentView = Static<typeof DeploymentView>;

export const DeploymentEventView = Type.Object({
  seq: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  kind: Type.String({ description: 'state or log' }),
  stage: Type.String(),
  text: Type.String(),
});
export type DeploymentEventView = Static<typeof DeploymentEventView>;

export const DeploymentDetail = Type.Object({
  ...DeploymentView.properties,
  manifest: Nullable(Type.String()),
  source: Type.Record(Type.String(), Type.Unknown()),
  events: Type.Array(DeploymentEventView),
});
export type DeploymentDetail = Static<typeof DeploymentDetail>;

export const ListDeploymentsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type ListDeploymentsQuery = Static<typeof ListDeploymentsQuery>;

export const DeploymentList = Type.Object({
  items: Type.Array(DeploymentView),
  next_cursor: Nullable(Type.String()),
});
export type DeploymentList = Static<typeof DeploymentList>;

export const DeploymentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 253 }) });

export const NamespaceQuery = Type.Object({ namespace: Type.Optional(Type.String({ maxLength: 253 })) });

export const RevisionView = Type.Object({
  id: Type.String(),
  revision: Type.Integer(),
  kind: Type.String(),
  source_revision: Nullable(Type.Integer()),
  image: Type.String(),
  state: DeploymentStateSchema,
  url: Nullable(Type.String()),
  live: Type.Boolean(),
  rollback_possible: Type.Boolean({
    description: 'It reached Stable, so its manifest and image are recorded.',
  }),
  created_at: Type.String({ format: 'date-time' }),
});
export type RevisionView = Static<typeof RevisionView>;

export const RevisionList = Type.Object({
  app_name: Type.String(),
  namespace: Type.String(),
  live_revision: Nullable(Type.Integer()),
  target_status: TargetStatusView,
  items: Type.Array(RevisionView),
});
export type RevisionList = Static<typeof RevisionList>;

export const RollbackBody = Type.Object(
  {
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
    revision: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;

export const DeletedView = Type.Object({
  deleted: Type.Boolean(),
  app_name: Type.String(),
  namespace: Type.String(),
});
export type DeletedView = Static<typeof DeletedView>;

export const NamespacesView = Type.Object({
  default: Type.String({
    description:
      'Where a deploy without a namespace goes (your own namespace, unless the operator turned those off).',
  }),
  allowed: Type.Array(Type.String(), {
    description: 'Namespaces you may deploy into (DEPLOYER_NAMESPACES plus your own).',
  }),
});
export type NamespacesView = Static<typeof NamespacesView>;

export const RegistryLoginBody = Type.Object(
  {
    docker_user: Type.String({ maxLength: 255, description: 'Registry user name (ignored for ECR).' }),
    docker_token: Type.String({ maxLength: 4096, description: 'Password or access token. Never returned.' }),
    registry: Type.Optional(
      Type.String({
        maxLength: 253,
        description:
          'Registry host (`docker.io` by default, `ghcr.io`, `host:port`); `ecr` or `<account>.dkr.ecr.<region>.amazonaws.com` signs in to Amazon ECR with your AWS session.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RegistryLoginBody = Static<typeof RegistryLoginBody>;

export const RegistryStatusView = Type.Object({
  signed_in: Type.Boolean(),
  registry: Type.Union([Type.String(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type RegistryStatusView = Static<typeof RegistryStatusView>;

export const RegistryLoginView = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  signed_in: Type.Boolean(),
  registry: Type.Union([Type.String(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type RegistryLoginView = Static<typeof RegistryLoginView>;

export const Capabilities = Type.Object({
  target: Type.String({ description: '`podman` (this machine) or `kubernetes` (a cluster)' }),
  target_available: Type.Boolean(),
  builder: Type.Union([Type.String(), Type.Null()], {
    description: 'The image builder, or null when none runs here',
  }),
  strategies: Type.Array(Type.String()),
  can_deploy_source: Type.Boolean({ description: 'Pasted code and Git sources need a builder' }),
  problems: Type.Array(Type.String(), { description: 'What stops a deploy, in words a user can act on' }),
  ingress_autoscaling: Type.Boolean({
    description: 'Whether a deploy may carry an Ingress and a HorizontalPodAutoscaler',
  }),
  notes: Type.Array(Type.String(), {
    description: 'What works differently on this target, for the form to say',
  }),
});
export type Capabilities = Static<typeof Capabilities>;

// The server-sent events of `GET /deployer-api/deployments/:id/stream`: `state`, `log`, then one `done`.

export const DeploymentStateEvent = Type.Object({
  state: DeploymentStateSchema,
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  at: Type.String({ format: 'date-time' }),
  message: Type.Optional(Type.String()),
});
export type DeploymentStateEvent = Static<typeof DeploymentStateEvent>;

export const DeploymentLogEvent = Type.Object({
  line: Type.String(),
  stage: Type.String(),
  at: Type.String({ format: 'date-time' }),
});
export type DeploymentLogEvent = Static<typeof DeploymentLogEvent>;

export const DeploymentDoneEvent = Type.Object({
  state: DeploymentStateSchema,
  url: Type.Optional(Type.String()),
  image: Type.Optional(Type.String()),
  manifest: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});
export type DeploymentDoneEvent = Static<typeof DeploymentDoneEvent>;

/** `POST /deployer-api/docker-logout`: the answer once this session's registry credentials are forgotten. */
export const RegistryLogoutResult = Type.Object({ success: Type.Boolean(), message: Type.String() });
export type RegistryLogoutResult = Static<typeof RegistryLogoutResult>;

/** The deployer as another service calls it. */
export interface DeployerClient {
  /**
   * `POST /deployer-api/docker-logout` as the signed-out user and session: the deployer forgets the
   * session's registry sign-ins at once. Throws `UnavailableError` when the deployer does not answer,
   * `UpstreamError` (with the status) when it refuses.
   */
  forgetRegistrySignIns(input: { identity: Identity }): Promise<RegistryLogoutResult>;
}

export function createDeployerClient(deps: { http: ServiceClient }): DeployerClient {
  return {
    async forgetRegistrySignIns({ identity }) {
      const res = await deps.http.request<RegistryLogoutResult>({
        method: 'POST',
        path: '/deployer-api/docker-logout',
        body: {},
        identity,
      });
      return expectStatus(deps.http.name, res, 200);
    },
  };
}
