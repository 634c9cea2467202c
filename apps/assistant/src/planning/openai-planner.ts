import { InputError, UpstreamError } from '@ashapp/platform';
import type { LlmPlanner, LlmPlanningInput } from './llm-planner.ts';
import { PLAN_JSON_SCHEMA, PLAN_TOOL_NAME, buildSystemPrompt, parseModelJson } from './llm-planner.ts';

export interface OpenAiPlannerOptions {
  /** e.g. https://api.openai.com/v1 or a local server's /v1 */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** `tools` forces a function call; `json_schema` asks for a JSON response format. */
  mode?: 'tools' | 'json_schema';
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface ChatCompletion {
  choices?: {
    message?: {
      content?: string | null;
      tool_calls?: { type?: string; function?: { name?: string; arguments?: string } }[];
    };
  }[];
}

/** Plans through any OpenAI-compatible chat completions endpoint, with a schema forcing a structured answer. */
export function createOpenAiPlanner(options: OpenAiPlannerOptions): LlmPlanner {
  const doFetch = options.fetch ?? fetch;
  const mode = options.mode ?? 'tools';
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;

  async function proposePlan(input: LlmPlanningInput): Promise<unknown> {
    const body: Record<string, unknown> = {
      model: options.model,
      temperature: 0,
      messages: [
        { role: 'system', content: buildSystemPrompt(input.defaultRegion) },
        { role: 'user', content: input.request },
      ],
    };
    if (mode === 'tools') {
      body['tools'] = [
        {
          type: 'function',
          function: {
            name: PLAN_TOOL_NAME,
            description: 'Submit the single AWS operation',
            parameters: PLAN_JSON_SCHEMA,
          },
        },
      ];
      body['tool_choice'] = { type: 'function', function: { name: PLAN_TOOL_NAME } };
    } else {
      body['response_format'] = {
        type: 'json_schema',
        json_schema: { name: 'aws_plan', schema: PLAN_JSON_SCHEMA },
      };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.apiKey) headers['authorization'] = `Bearer ${options.apiKey}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: input.signal ?? AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new UpstreamError(`LLM planner unreachable: ${(err as Error).message}`);
    }
    if (!response.ok) {
      // The provider's body can echo the key in some errors; report only the status.
      throw new UpstreamError(`LLM planner answered HTTP ${response.status}`);
    }
    let completion: ChatCompletion;
    try {
      completion = (await response.json()) as ChatCompletion;
    } catch {
      throw new UpstreamError('LLM planner answered with something other than JSON');
    }
    const message = completion.choices?.[0]?.message;
    const call = message?.tool_calls?.find((c) => c.function?.name === PLAN_TOOL_NAME);
    if (call?.function?.arguments !== undefined) return parseModelJson(call.function.arguments);
    if (typeof message?.content === 'string' && message.content.trim() !== '')
      return parseModelJson(message.content);
    throw new InputError('the model gave no structured plan; nothing was run');
  }
  return { name: 'openai', proposePlan };
}
