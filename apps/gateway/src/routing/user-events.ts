import type { LogEventBody } from '@ashapp/contracts/monitor';
import { InputError, NotAuthenticatedError, type ServiceApp } from '@ashapp/platform';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Forwarder } from './forwarder.ts';

// The original endpoint's fields. Those that describe who, where from and when are the gateway's to say
// and are replaced; the schema keeps them so existing clients still validate.
const UserEventBody = Type.Object({
  id: Type.Optional(Type.String({ format: 'uuid' })),
  timestamp: Type.Optional(Type.String({ description: 'Ignored: the monitor stamps the receive time.' })),
  user_id: Type.Optional(Type.String({ description: 'Ignored: always the signed-in user.' })),
  service: Type.Optional(Type.String({ description: 'Ignored: always `user`.' })),
  endpoint: Type.String({ minLength: 1, maxLength: 1024 }),
  action_type: Type.String({
    minLength: 1,
    maxLength: 123,
    description: 'Stored as `user.<action_type>`, so it never reads as a platform action.',
  }),
  request_data: Type.Optional(Type.Unknown()),
  response_summary: Type.Optional(Type.Unknown()),
  ip_address: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Ignored.' })),
  user_agent: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Ignored.' })),
  request_id: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Ignored.' })),
});
type UserEventBody = Type.Static<typeof UserEventBody>;

/** What a user's event says once the gateway has stamped the facts it knows (issue 8 item 6). */
/** Typed by the monitor's contract: a change to `/monitor/log` fails typecheck here. */
export function stampUserEvent(request: FastifyRequest, body: UserEventBody): LogEventBody {
  const session = request.auth;
  if (!session) throw new NotAuthenticatedError('sign in first');
  const ua = request.headers['user-agent'];
  return {
    ...(body.id !== undefined ? { id: body.id } : {}),
    user_id: session.userId,
    service: 'user',
    endpoint: body.endpoint,
    action_type: body.action_type.startsWith('user.') ? body.action_type : `user.${body.action_type}`,
    ...(body.request_data !== undefined ? { request_data: body.request_data } : {}),
    ...(body.response_summary !== undefined ? { response_summary: body.response_summary } : {}),
    ip_address: request.ip,
    user_agent: typeof ua === 'string' ? ua : null,
    request_id: request.id,
  };
}

/** Deeper values are refused: re-serialising them would recurse past the stack (a 500 instead of a 400). */
const maxNesting = 64;

/** Whether `value` nests objects or arrays deeper than `limit`, walked without recursion. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/**
 * `POST /api/monitor/log` and the original `POST /monitor/log`: a signed-in user records an event of their
 * own. Unlike other forwarded routes the body is read here, so the user, address, agent, request id and
 * service `user` are the gateway's, never the caller's. The monitor applies the same rule again.
 */
export function registerUserEventRoutes(app: ServiceApp, deps: { forwarder: Forwarder }): void {
  for (const url of ['/api/monitor/log', '/monitor/log']) {
    app.post(
      url,
      {
        bodyLimit: 256 * 1024,
        config: { access: 'user' },
        schema: {
          summary:
            url === '/monitor/log'
              ? "Record an event of your own (the original's path)"
              : 'Record an event of your own (service `user`; who, address and agent stamped by the gateway)',
          tags: ['forwarded'],
          body: UserEventBody,
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'object' || request.body === null) {
          throw new InputError('body must be a JSON object');
        }
        if (nestsDeeperThan(request.body, maxNesting)) {
          throw new InputError(`body must not nest objects or arrays more than ${maxNesting} levels deep`);
        }
        const stamped = stampUserEvent(request, request.body);
        return deps.forwarder.forward(request, reply, {
          service: 'monitor',
          path: '/monitor/log',
          identity: request.auth
            ? {
                userId: request.auth.userId,
                roles: request.auth.roles,
                requestId: request.id,
                sessionId: request.auth.id,
                name: request.auth.username,
              }
            : undefined,
          body: Buffer.from(JSON.stringify(stamped)),
        });
      },
    );
  }
}
