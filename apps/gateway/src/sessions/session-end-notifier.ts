import { createDeployerClient } from '@ashapp/contracts/deployer';
import { UpstreamError, type Logger, type ServiceClient } from '@ashapp/platform';
import type { ActiveSession } from './session-service.ts';

/**
 * The deployer keeps registry sign-ins per session: at sign-out it is told to forget them at once rather
 * than at their expiry. A deployer that is down does not block the sign-out (the session id it would need
 * is dead anyway; the sign-in expires on its own), it is logged.
 */
export function createSessionEndNotifier(deps: { deployer: ServiceClient; log: Logger }) {
  const deployer = createDeployerClient({ http: deps.deployer });
  return async (session: ActiveSession, requestId: string): Promise<void> => {
    try {
      await deployer.forgetRegistrySignIns({
        identity: { userId: session.userId, roles: session.roles, requestId, sessionId: session.id },
      });
    } catch (err) {
      if (err instanceof UpstreamError)
        deps.log.warn({ status: err.details?.status }, 'deployer refused the sign-out notice');
      else
        deps.log.warn(
          { err: (err as Error).message },
          'deployer not told of the sign-out; its registry sign-in expires on its own',
        );
    }
  };
}
