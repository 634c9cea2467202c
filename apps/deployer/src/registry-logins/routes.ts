import { awsCredentialsHeader, requireIdentity, type ServiceApp } from '@ashapp/platform';
import { Type } from 'typebox';
import { readRequestMeta } from '../request-meta.ts';
import type { RegistryLoginsService } from './registry-logins-service.ts';
import {
  RegistryLoginBody,
  RegistryLoginView,
  RegistryLogoutResult,
  RegistryStatusView,
} from '@ashapp/contracts/deployer';

export function registerRegistryLoginRoutes(app: ServiceApp, service: RegistryLoginsService): void {
  app.post(
    '/deployer-api/docker-login',
    {
      schema: {
        summary: 'Sign in to a container registry for this session (checked against its v2 API)',
        body: RegistryLoginBody,
        response: { 200: RegistryLoginView },
      },
    },
    async (request) => {
      const header = request.headers[awsCredentialsHeader];
      const status = await service.login(
        requireIdentity(request),
        request.body,
        typeof header === 'string' ? header : undefined,
        readRequestMeta(request),
      );
      return { success: true, message: `Signed in to ${status.registry ?? 'the registry'}`, ...status };
    },
  );

  app.post(
    '/deployer-api/docker-logout',
    {
      schema: {
        summary: "Forget this session's registry credentials",
        body: Type.Optional(Type.Object({}, { additionalProperties: true })),
        response: { 200: RegistryLogoutResult },
      },
    },
    async (request) => {
      await service.logout(requireIdentity(request), readRequestMeta(request));
      return { success: true, message: 'Signed out of the registry' };
    },
  );

  app.get(
    '/deployer-api/registry',
    {
      schema: {
        summary: 'Whether this session is signed in to a registry, which one and as whom (never the token)',
        response: { 200: RegistryStatusView },
      },
    },
    async (request) => service.status(requireIdentity(request)),
  );
}
