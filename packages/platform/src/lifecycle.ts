import { ConfigError } from './config.ts';
import type { Logger } from './logger.ts';
import type { ServiceApp } from './server.ts';

/**
 * Listens, then on SIGTERM or SIGINT stops taking connections, lets in-flight requests finish (up to
 * `drainTimeoutMs`), runs `onShutdown` (stop background work, close the database) and resolves. The
 * caller's `main.ts` exits afterwards.
 */
export async function runService(options: {
  app: ServiceApp;
  host: string;
  port: number;
  log: Logger;
  drainTimeoutMs?: number;
  onShutdown?: () => Promise<void>;
  signals?: readonly NodeJS.Signals[];
}): Promise<{ address: string; stopped: Promise<void> }> {
  const { app, log } = options;
  const address = await app.listen({ host: options.host, port: options.port });
  log.info({ address }, 'listening');
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: draining in-flight requests');
      const timer = setTimeout(() => {
        log.warn('drain timeout reached; closing remaining connections');
        app.server.closeAllConnections();
      }, options.drainTimeoutMs ?? 10_000);
      try {
        await app.close();
        await options.onShutdown?.();
      } catch (err) {
        log.error({ err }, 'error during shutdown');
      } finally {
        clearTimeout(timer);
        for (const s of signals) process.off(s, handler);
        log.info('stopped');
        resolve();
      }
    };
    const handler = (signal: NodeJS.Signals) => void stop(signal);
    for (const s of signals) process.on(s, handler);
  });
  return { address, stopped };
}

/**
 * Runs a service's `main`: a start-up failure (bad configuration, a database that does not answer) is
 * printed as one clear line on stderr — the stack only when it is not a configuration problem — and the
 * process exits 1.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`${service} failed to start: ${message}\n`);
    process.exit(1);
  });
}
