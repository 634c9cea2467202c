import { InputError, type ServiceApp } from '@ashapp/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Plan } from '../plan/plan.ts';
import { readCaller } from '../request-context.ts';
import type { AssistantService, Caller } from './assistant-service.ts';
import { readDecision } from './decisions.ts';
import { AskReply, ConfirmBody, ConfirmReply, PlanReply, QueryBody } from '@ashapp/contracts/assistant';

export function registerAssistantRoutes(
  app: ServiceApp,
  deps: { service: AssistantService; internalSecret: string },
): void {
  const { service, internalSecret } = deps;

  /**
   * Runs a use case and reports the AWS CLI children's own time as `Server-Timing: aws-cli;dur=<ms>`, so
   * the platform's overhead can be told apart from the CLI's (the benchmark reads it).
   */
  async function withTiming<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    work: (caller: Caller) => Promise<T>,
  ): Promise<T> {
    const caller: Caller = { ...readCaller(request, internalSecret), timing: { cliMs: 0 } };
    const result = await work(caller);
    reply.header('server-timing', `aws-cli;dur=${(caller.timing?.cliMs ?? 0).toFixed(1)}`);
    return result;
  }

  app.post(
    '/api/plan',
    {
      schema: {
        summary: 'Plan a request without running anything',
        body: QueryBody,
        response: { 200: PlanReply },
      },
    },
    async (request) => service.plan(readCaller(request, internalSecret), request.body.query),
  );

  app.post(
    '/api/ask',
    {
      schema: {
        summary: 'Plan and run a read at once, or hold a change for confirmation',
        body: QueryBody,
        response: { 200: AskReply },
      },
    },
    async (request, reply) => withTiming(request, reply, (caller) => service.ask(caller, request.body.query)),
  );

  app.post(
    '/api/confirm',
    {
      schema: {
        summary: 'Accept (run exactly the held plan) or decline (run nothing) a pending confirmation',
        body: ConfirmBody,
        response: { 200: ConfirmReply },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.confirmation_id === undefined && body.query === undefined) {
        throw new InputError('confirmation_id (or the original query) is required');
      }
      const decision = readDecision(body.decision);
      return withTiming(request, reply, (caller) =>
        service.confirm(caller, {
          decision,
          ...(body.confirmation_id !== undefined ? { confirmationId: body.confirmation_id } : {}),
          ...(body.query !== undefined ? { query: body.query } : {}),
          ...(body.plan !== undefined ? { plan: body.plan as unknown as Plan } : {}),
        }),
      );
    },
  );
}
