import type { ToolInputSchema } from '@aws-sdk/client-bedrock-runtime';
import { commonJsExports, InputError, NotAuthenticatedError, UpstreamError } from '@ashapp/platform';
import type { LlmPlanner, LlmPlanningInput } from './llm-planner.ts';
import { PLAN_JSON_SCHEMA, PLAN_TOOL_NAME, buildSystemPrompt } from './llm-planner.ts';

export interface BedrockPlannerOptions {
  modelId: string;
  /** Region of the Bedrock endpoint; defaults to the request's region. */
  region?: string;
  /** Operator endpoint override (tests, private clouds). */
  endpoint?: string;
  timeoutMs?: number;
}

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
]);

/**
 * Plans through Amazon Bedrock's Converse API as the signed-in user, forcing the model to answer with the
 * plan tool so the answer is structured data, never text to run.
 */
export function createBedrockPlanner(options: BedrockPlannerOptions): LlmPlanner {
  async function proposePlan(input: LlmPlanningInput): Promise<unknown> {
    if (!input.credentials)
      throw new NotAuthenticatedError('sign in again: the Bedrock planner needs your AWS session');
    // Loaded on the first plan it is asked for, not at start-up: most installations never configure it.
    const { BedrockRuntimeClient, ConverseCommand } = commonJsExports(
      await import('@aws-sdk/client-bedrock-runtime'),
    );
    const client = new BedrockRuntimeClient({
      region: options.region ?? input.defaultRegion,
      credentials: input.credentials,
      maxAttempts: 2,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    try {
      const response = await client.send(
        new ConverseCommand({
          modelId: options.modelId,
          system: [{ text: buildSystemPrompt(input.defaultRegion) }],
          messages: [{ role: 'user', content: [{ text: input.request }] }],
          toolConfig: {
            tools: [
              {
                toolSpec: {
                  name: PLAN_TOOL_NAME,
                  description: 'Submit the single AWS operation that fulfils the request',
                  inputSchema: { json: PLAN_JSON_SCHEMA } as unknown as ToolInputSchema,
                },
              },
            ],
            toolChoice: { tool: { name: PLAN_TOOL_NAME } },
          },
          inferenceConfig: { maxTokens: 1024, temperature: 0 },
        }),
        { abortSignal: input.signal ?? AbortSignal.timeout(options.timeoutMs ?? 30_000) },
      );
      const blocks = response.output?.message?.content ?? [];
      for (const block of blocks) {
        if (block.toolUse && block.toolUse.name === PLAN_TOOL_NAME) return block.toolUse.input as unknown;
      }
      throw new InputError('the model answered with text instead of a structured plan; nothing was run');
    } catch (err) {
      if (err instanceof InputError) throw err;
      const name = (err as { name?: string }).name ?? '';
      if (CREDENTIAL_ERRORS.has(name))
        throw new NotAuthenticatedError('your AWS credentials were refused: sign in again');
      throw new UpstreamError(`Bedrock planner failed: ${(err as Error).message}`, { code: name });
    } finally {
      client.destroy();
    }
  }
  return { name: 'bedrock', proposePlan };
}
