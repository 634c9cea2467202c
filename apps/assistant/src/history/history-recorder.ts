import { createHistoryClient } from '@ashapp/contracts/history';
import {
  serviceIdentity,
  UpstreamError,
  type Identity,
  type Logger,
  type ServiceClient,
} from '@ashapp/platform';

/** Saves what a user asked and what they got back to their history (the history service). */
export interface HistoryRecorder {
  /** Never throws: a history outage must not fail the request it describes; it is logged instead. */
  save(caller: Identity, query: string, output: string): Promise<void>;
}

export interface HistoryRecorderOptions {
  history: ServiceClient;
  log: Logger;
  /** Outputs longer than this are cut (the history service keeps 1 MB by default). */
  maxOutputChars?: number;
}

const MAX_QUERY_CHARS = 10_000;

export function createHistoryRecorder(options: HistoryRecorderOptions): HistoryRecorder {
  const maxOutputChars = options.maxOutputChars ?? 256 * 1024;
  const history = createHistoryClient({ http: options.history });
  return {
    async save(caller, query, output) {
      const text =
        output.length > maxOutputChars
          ? `${output.slice(0, maxOutputChars)}\n… (cut at ${maxOutputChars} characters)`
          : output;
      try {
        await history.save({
          // A service saves on the user's behalf: its own identity, the user named in the body.
          identity: serviceIdentity('assistant', caller.requestId),
          body: { query: query.slice(0, MAX_QUERY_CHARS), output: text, user_id: caller.userId },
          timeoutMs: 3000,
        });
      } catch (err) {
        if (err instanceof UpstreamError) {
          options.log.warn({ ...err.details, requestId: caller.requestId }, 'history refused the entry');
          return;
        }
        options.log.warn(
          { err: (err as Error).message, requestId: caller.requestId },
          'history unavailable; the entry was not saved',
        );
      }
    },
  };
}
