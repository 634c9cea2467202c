import { Type, type Static } from 'typebox';

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

export const RegistryLoginView = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  signed_in: Type.Boolean(),
  registry: Type.Union([Type.String(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
});
