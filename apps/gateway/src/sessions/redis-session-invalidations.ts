import type { Redis } from 'ioredis';
import type { SessionInvalidations } from './cached-session-store.ts';

/** The channel every gateway replica listens on; a message is the id of a session that ended. */
export const sessionEndedChannel = 'ashapp:gateway:session-ended';

/**
 * Session invalidations between gateway replicas over Redis pub/sub. A subscribed connection can do
 * nothing else, so it is a second connection (`subscriber`, e.g. `redis.duplicate()`), owned and closed by
 * the caller. Pub/sub delivers at most once: every time the subscriber (re)connects, `onReset` tells the
 * cache to drop everything, since messages published while it was away are lost.
 */
export function createRedisSessionInvalidations(options: {
  redis: Redis;
  subscriber: Redis;
  channel?: string;
}): SessionInvalidations {
  const channel = options.channel ?? sessionEndedChannel;
  return {
    async publish(sessionId) {
      await options.redis.publish(channel, sessionId);
    },
    subscribe(handlers) {
      const { subscriber } = options;
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) handlers.onMessage(message);
      });
      // ioredis re-subscribes by itself after a reconnect; what was published meanwhile is gone.
      subscriber.on('ready', () => handlers.onReset());
    },
  };
}

/** Subscribes `subscriber` to the invalidation channel; resolves once Redis confirmed it. */
export async function listenForSessionInvalidations(
  subscriber: Redis,
  channel = sessionEndedChannel,
): Promise<void> {
  await subscriber.subscribe(channel);
}
