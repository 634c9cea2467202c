/**
 * The gateway's own public contract: sign-in, sign-out and the current user (`/api/login`, `/api/logout`,
 * `/api/user`, `/api/auth/options`) and the types derived from them.
 */
import { Type, type Static } from 'typebox';

// Fields are optional in the schema so a missing one gets our own message naming every missing field.
export const LoginBody = Type.Object({
  access_key: Type.Optional(Type.String({ description: 'AWS access key id' })),
  secret_key: Type.Optional(
    Type.String({ description: 'AWS secret access key (kept server-side, encrypted)' }),
  ),
  region: Type.Optional(Type.String({ description: 'AWS region, e.g. us-east-1' })),
  session_token: Type.Optional(Type.String({ description: 'Session token, for temporary (ASIA…) keys' })),
});
export type LoginBody = Static<typeof LoginBody>;

export const LoginResult = Type.Object({
  success: Type.Boolean(),
  username: Type.String(),
  token: Type.String({ description: 'Bearer token for API clients: `Authorization: Bearer <token>`' }),
});
export type LoginResult = Static<typeof LoginResult>;

export const SuccessResult = Type.Object({ success: Type.Boolean() });
export type SuccessResult = Static<typeof SuccessResult>;

export const CurrentUser = Type.Object({
  logged_in: Type.Boolean(),
  username: Type.String(),
  arn: Type.String(),
  account: Type.String(),
  region: Type.String(),
  roles: Type.Array(Type.String()),
});
export type CurrentUser = Static<typeof CurrentUser>;

export const SignedOut = Type.Object({
  logged_in: Type.Boolean(),
  error: Type.Object({ code: Type.String(), message: Type.String(), requestId: Type.String() }),
});
export type SignedOut = Static<typeof SignedOut>;

export const SignInOptions = Type.Object({
  any_account: Type.Boolean({
    description: 'True when no allow-list is set: any AWS identity STS accepts may sign in (loopback only)',
  }),
});
export type SignInOptions = Static<typeof SignInOptions>;
