import { serviceIdentity, type Logger, type ServiceClient } from '@ashapp/platform';

/** Puts each deploy in the user's history (history service), best effort: history down never fails a deploy. */
export interface HistoryRecorder {
  save(entry: { userId: string; requestId: string; query: string; output: string }): Promise<void>;
}

export function createHistoryRecorder(options: { history: ServiceClient; log: Logger }): HistoryRecorder {
  return {
    async save(entry) {
      try {
        const res = await options.history.request({
          method: 'POST',
          path: '/history/save',
          body: { query: entry.query, output: entry.output, user_id: entry.userId },
          identity: serviceIdentity('deployer', entry.requestId),
        });
        if (res.status >= 300) {
          options.log.warn(
            { status: res.status, requestId: entry.requestId },
            'history refused a deploy entry',
          );
        }
      } catch (err) {
        options.log.warn(
          { err: (err as Error).message, requestId: entry.requestId },
          'could not save a deploy to history',
        );
      }
    },
  };
}
