import { readBaseServiceConfig, readEnv, type BaseServiceConfig, type Env } from '@ashapp/platform';
import { Type } from 'typebox';

export interface HistoryConfig extends BaseServiceConfig {
  /** Largest output kept whole, in bytes (the original stored whatever it was given; 1 MB covers it). */
  readonly maxOutputBytes: number;
}

const HistoryEnv = Type.Object({
  HISTORY_MAX_OUTPUT_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024 }),
});

export function readHistoryConfig(env: Env): HistoryConfig {
  const own = readEnv(HistoryEnv, env);
  return Object.freeze({
    ...readBaseServiceConfig('history', env),
    maxOutputBytes: own.HISTORY_MAX_OUTPUT_BYTES,
  });
}
