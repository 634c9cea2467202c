import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from './config.ts';
import type { Logger } from './logger.ts';
import type { ServiceApp } from './server.ts';

/**
 * Listens, then on SIGTERM or SIGINT stops taking connections, lets in-flight requests finish (up to
 * `drainTimeoutMs`), runs `onShutdown` (stop background work, close the database) and resolves. The
 * caller's `main.ts` exits afterwards.
 *
 * `/ready` answers 503 from the signal on. On SIGTERM with `drainDelayMs`, it first keeps serving that long with `Connection: close` on every
 * answer: a keep-alive client's socket is then closed by us after an answer, never reaped while idle at
 * the moment the client sends on it (the reset a client counts as a failed request), and a balancer has
 * time to stop routing here.
 */
export async function runService(options: {
  app: ServiceApp;
  host: string;
  port: number;
  log: Logger;
  drainTimeoutMs?: number;
  /** SIGTERM only: keep serving this long, closing each connection after its answer (default 0). */
  drainDelayMs?: number;
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
      app.lifecycle.draining = true;
      const delayMs = signal === 'SIGTERM' ? (options.drainDelayMs ?? 0) : 0;
      if (delayMs > 0) {
        log.info({ signal, delayMs }, 'shutting down: answering with Connection: close before closing');
        app.server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
          if (!response.headersSent) response.setHeader('connection', 'close');
        });
        await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
      }
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
