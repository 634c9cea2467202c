import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ConfigError,
  readBaseServiceConfig,
  readEnv,
  secret,
  type BaseServiceConfig,
  type Env,
} from '@ashapp/platform';
import { Type } from 'typebox';
import { DEFAULT_CLI_TIMEOUT_MS, DEFAULT_MAX_OUTPUT_BYTES } from './aws-cli/cli-executor.ts';
import type { ExecutorMode } from './aws-cli/select-executor.ts';
import { createSafetyPolicy, DEFAULT_SAFETY_RULES, type SafetyRule } from './safety/safety-rules.ts';

export type LlmProvider = 'none' | 'bedrock' | 'openai';

export interface AssistantConfig extends BaseServiceConfig {
  /** `AWS_CLI_PATH`: a CLI v2 binary; undefined = look in /usr/bin, /usr/local/bin (never PATH). */
  readonly awsCliPath: string | undefined;
  /** `ASSISTANT_AWS_ENDPOINT_URL`: operator endpoint override for every AWS call (CLI and SDK). */
  readonly awsEndpointUrl: string | undefined;
  readonly cliTimeoutMs: number;
  readonly cliMaxOutputBytes: number;
  /** `ASSISTANT_EXECUTOR`: `auto` (warm pool, the CLI when the pool cannot take a call), `warm`, `cli`. */
  readonly executor: ExecutorMode;
  /** `ASSISTANT_EXECUTOR_WORKERS`: warm workers per assistant instance (one call at a time each). */
  readonly executorWorkers: number;
  /** `ASSISTANT_EXECUTOR_PYTHON`: the workers' Python; undefined = the CLI's own (its `#!` line). */
  readonly executorPython: string | undefined;
  readonly llm: {
    readonly provider: LlmProvider;
    readonly model: string | undefined;
    readonly baseUrl: string | undefined;
    /** Secret. */
    readonly apiKey: string | undefined;
    readonly timeoutMs: number;
  };
  /** Safety rules (deny / ask / allow); the defaults from safety/ when none are configured. */
  readonly safetyRules: readonly SafetyRule[];
  /** Default service role for new CodeBuild projects when the request names none. */
  readonly codebuildServiceRole: string | undefined;
  readonly codebuildImage: string | undefined;
  /** HMAC key for confirmation bindings: a row edited in the database stops verifying. Secret. */
  readonly confirmationKey: string;
}

export const AssistantEnv = Type.Object({
  AWS_CLI_PATH: Type.Optional(Type.String({ minLength: 1 })),
  ASSISTANT_AWS_ENDPOINT_URL: Type.Optional(Type.String({ minLength: 1 })),
  ASSISTANT_CLI_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: DEFAULT_CLI_TIMEOUT_MS,
  }),
  ASSISTANT_CLI_MAX_OUTPUT_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 64 * 1024 * 1024,
    default: DEFAULT_MAX_OUTPUT_BYTES,
  }),
  ASSISTANT_EXECUTOR: Type.Union([Type.Literal('auto'), Type.Literal('warm'), Type.Literal('cli')], {
    default: 'auto',
  }),
  ASSISTANT_EXECUTOR_WORKERS: Type.Integer({ minimum: 1, maximum: 32, default: 2 }),
  ASSISTANT_EXECUTOR_PYTHON: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
  LLM_PROVIDER: Type.Union([Type.Literal('none'), Type.Literal('bedrock'), Type.Literal('openai')], {
    default: 'none',
  }),
  LLM_MODEL: Type.Optional(Type.String({ minLength: 1 })),
  LLM_BASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  LLM_API_KEY: Type.Optional(secret(Type.String({ minLength: 1 }))),
  LLM_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 300_000, default: 30_000 }),
  /** JSON array of rules, or `@/path/to/rules.json`. */
  ASSISTANT_RULES: Type.Optional(Type.String({ minLength: 1 })),
  ASSISTANT_CODEBUILD_SERVICE_ROLE: Type.Optional(Type.String({ minLength: 1 })),
  ASSISTANT_CODEBUILD_IMAGE: Type.Optional(Type.String({ minLength: 1 })),
});

function requireHttpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be http(s)`);
  return value.replace(/\/+$/, '');
}

/** Reads `ASSISTANT_RULES`: inline JSON, or `@<file>` holding the JSON. Checked by building the policy. */
function readSafetyRules(raw: string | undefined): readonly SafetyRule[] {
  if (raw === undefined) return DEFAULT_SAFETY_RULES;
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8');
    } catch (err) {
      throw new ConfigError(`ASSISTANT_RULES file could not be read: ${(err as Error).message}`);
    }
  }
  let rules: unknown;
  try {
    rules = JSON.parse(text);
  } catch {
    throw new ConfigError('ASSISTANT_RULES must be a JSON array of {effect, actions, roles?, reason?}');
  }
  const valid =
    Array.isArray(rules) &&
    rules.every(
      (r: unknown) =>
        typeof r === 'object' &&
        r !== null &&
        Array.isArray((r as SafetyRule).actions) &&
        (r as SafetyRule).actions.every((a) => typeof a === 'string') &&
        ((r as SafetyRule).roles === undefined || Array.isArray((r as SafetyRule).roles)),
    );
  if (!valid)
    throw new ConfigError('ASSISTANT_RULES must be a JSON array of {effect, actions, roles?, reason?}');
  try {
    createSafetyPolicy(rules as SafetyRule[]);
  } catch (err) {
    throw new ConfigError(`ASSISTANT_RULES: ${(err as Error).message}`);
  }
  return Object.freeze(rules as SafetyRule[]);
}

export function readAssistantConfig(env: Env): AssistantConfig {
  const own = readEnv(AssistantEnv, env);
  const base = readBaseServiceConfig('assistant', env);
  const provider = own.LLM_PROVIDER as LlmProvider;
  if (provider !== 'none' && own.LLM_MODEL === undefined) {
    throw new ConfigError(`LLM_PROVIDER=${provider} needs LLM_MODEL`);
  }
  if (provider === 'openai' && own.LLM_BASE_URL === undefined) {
    throw new ConfigError('LLM_PROVIDER=openai needs LLM_BASE_URL (an OpenAI-compatible /v1 URL)');
  }
  return Object.freeze({
    ...base,
    awsCliPath: own.AWS_CLI_PATH,
    awsEndpointUrl: requireHttpUrl('ASSISTANT_AWS_ENDPOINT_URL', own.ASSISTANT_AWS_ENDPOINT_URL),
    cliTimeoutMs: own.ASSISTANT_CLI_TIMEOUT_MS,
    cliMaxOutputBytes: own.ASSISTANT_CLI_MAX_OUTPUT_BYTES,
    executor: own.ASSISTANT_EXECUTOR as ExecutorMode,
    executorWorkers: own.ASSISTANT_EXECUTOR_WORKERS,
    executorPython: own.ASSISTANT_EXECUTOR_PYTHON,
    llm: Object.freeze({
      provider,
      model: own.LLM_MODEL,
      baseUrl: requireHttpUrl('LLM_BASE_URL', own.LLM_BASE_URL),
      apiKey: own.LLM_API_KEY,
      timeoutMs: own.LLM_TIMEOUT_MS,
    }),
    safetyRules: readSafetyRules(own.ASSISTANT_RULES),
    codebuildServiceRole: own.ASSISTANT_CODEBUILD_SERVICE_ROLE,
    codebuildImage: own.ASSISTANT_CODEBUILD_IMAGE,
    // Derived from the internal secret so an operator has nothing more to manage; never the secret itself.
    confirmationKey: createHmac('sha256', base.internalAuthSecret)
      .update('assistant-confirmations-v1')
      .digest('base64url'),
  });
}
