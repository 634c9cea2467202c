import { createHistoryClient } from '@ashapp/contracts/history';
import { serviceIdentity, UpstreamError, type Logger, type ServiceClient } from '@ashapp/platform';

/** Puts each deploy in the user's history (history service), best effort: history down never fails a deploy. */
export interface HistoryRecorder {
  save(entry: { userId: string; requestId: string; query: string; output: string }): Promise<void>;
}

export function createHistoryRecorder(options: { history: ServiceClient; log: Logger }): HistoryRecorder {
  const history = createHistoryClient({ http: options.history });
  return {
    async save(entry) {
      try {
        await history.save({
          identity: serviceIdentity('deployer', entry.requestId),
          body: { query: entry.query, output: entry.output, user_id: entry.userId },
        });
      } catch (err) {
        if (err instanceof UpstreamError) {
          options.log.warn({ ...err.details, requestId: entry.requestId }, 'history refused a deploy entry');
          return;
        }
        options.log.warn(
          { err: (err as Error).message, requestId: entry.requestId },
          'could not save a deploy to history',
        );
      }
    },
  };
}
