import { randomUUID } from 'node:crypto';
import type { BedrockAnswer, BedrockConverseRequest, ServiceReply } from './types.ts';

export function restJsonError(
  status: number,
  code: string,
  message: string,
  action: string,
  params: Record<string, unknown>,
): ServiceReply {
  return {
    status,
    body: JSON.stringify({ message }),
    action,
    params,
    errorCode: code,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': randomUUID(),
    },
  };
}

export function handleBedrock(
  rawUrl: string,
  method: string,
  body: Buffer,
  answer: (request: BedrockConverseRequest) => BedrockAnswer,
): ServiceReply {
  const match = /^\/model\/([^/]+)\/converse$/.exec(rawUrl.split('?')[0] ?? '');
  if (!match || method !== 'POST')
    return restJsonError(404, 'UnknownOperationException', 'Unknown operation', 'Unknown', {});
  const modelId = decodeURIComponent(match[1] as string);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return restJsonError(400, 'ValidationException', 'Malformed input request', 'Converse', { modelId });
  }
  const params = { modelId, ...parsed };
  const result = answer({ modelId, body: parsed });
  const content =
    'toolUse' in result
      ? [
          {
            toolUse: {
              toolUseId: `tooluse_${randomUUID().slice(0, 8)}`,
              name: result.toolUse.name,
              input: result.toolUse.input,
            },
          },
        ]
      : [{ text: result.text }];
  const reply = {
    output: { message: { role: 'assistant', content } },
    stopReason: 'toolUse' in result ? 'tool_use' : 'end_turn',
    usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
    metrics: { latencyMs: 5 },
  };
  return {
    status: 200,
    body: JSON.stringify(reply),
    action: 'Converse',
    params,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() },
  };
}
