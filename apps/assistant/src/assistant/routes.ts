import { InputError, type ServiceApp } from '@ashapp/platform';
import type { Plan } from '../planning/plan.ts';
import { readCaller } from '../request-context.ts';
import type { AssistantService } from './assistant-service.ts';
import { readDecision } from './decisions.ts';
import { AskReply, ConfirmBody, ConfirmReply, PlanReply, QueryBody } from './schemas.ts';

export function registerAssistantRoutes(
  app: ServiceApp,
  deps: { service: AssistantService; internalSecret: string },
): void {
  const { service, internalSecret } = deps;

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
    async (request) => service.ask(readCaller(request, internalSecret), request.body.query),
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
    async (request) => {
      const body = request.body;
      if (body.confirmation_id === undefined && body.query === undefined) {
        throw new InputError('confirmation_id (or the original query) is required');
      }
      const caller = readCaller(request, internalSecret);
      return service.confirm(caller, {
        decision: readDecision(body.decision),
        ...(body.confirmation_id !== undefined ? { confirmationId: body.confirmation_id } : {}),
        ...(body.query !== undefined ? { query: body.query } : {}),
        ...(body.plan !== undefined ? { plan: body.plan as unknown as Plan } : {}),
      });
    },
  );
}
