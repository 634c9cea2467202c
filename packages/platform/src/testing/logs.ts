import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger.ts';

/** A logger whose JSON lines are kept in memory, so tests can assert what was (and was not) logged. */
export function createCapturingLogger(name = 'test'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: createLogger({ name, level: 'debug', destination }), lines };
}
