import { InputError } from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';
import { PLAN_OUTPUTS } from '../plan/plan.ts';

/** What an LLM planner is given for one request. */
export interface LlmPlanningInput {
  request: string;
  defaultRegion: string;
  /** The signed-in user's credentials (Bedrock calls are made as the user). */
  credentials?: AwsSigningKeys;
  signal?: AbortSignal;
}

/**
 * A model-backed planner. It returns the model's structured answer as an untrusted candidate; the chain
 * validates it against the CLI models exactly like a typed command. Prose is rejected here.
 */
export interface LlmPlanner {
  readonly name: 'bedrock' | 'openai';
  proposePlan(input: LlmPlanningInput): Promise<unknown>;
}

export const PLAN_TOOL_NAME = 'submit_aws_plan';

/** JSON schema the model must fill in (tool input / response format). */
export const PLAN_JSON_SCHEMA = {
  type: 'object',
  properties: {
    service: { type: 'string', description: 'AWS CLI service name, e.g. ec2, s3api, iam, logs, cloudwatch' },
    operation: {
      type: 'string',
      description: 'AWS CLI operation name in kebab-case, e.g. describe-instances',
    },
    parameters: {
      type: 'object',
      description:
        'Operation parameters keyed by the API member names (e.g. InstanceIds, Filters), values as JSON',
    },
    region: { type: 'string', description: 'AWS region, e.g. us-east-1' },
    query: { type: 'string', description: 'Optional JMESPath expression (the CLI --query option)' },
    output: { type: 'string', enum: [...PLAN_OUTPUTS] },
  },
  required: ['service', 'operation', 'parameters'],
  additionalProperties: false,
} as const;

export function buildSystemPrompt(defaultRegion: string): string {
  return [
    "You translate a DevOps engineer's request into exactly one AWS API operation, answered only through the",
    `${PLAN_TOOL_NAME} tool. Use AWS CLI v2 names: the service as the CLI names it (ec2, s3api, iam, lambda, rds,`,
    'cloudwatch, logs, cloudformation, ecs, eks, ecr, dynamodb, sns, sqs, route53, sts, codebuild, ...) and the',
    'operation in kebab-case (describe-instances). Key parameters by the API member names (InstanceIds, Filters).',
    `Use region ${defaultRegion} unless the request names another. Never use local files, file:// values, or`,
    'options that change endpoints or credentials. Prefer read-only operations when the request is ambiguous.',
    'If the request is not about AWS, answer with service "none" and operation "none".',
  ].join(' ');
}

/** Parses a model's JSON text into an object, refusing prose. */
export function parseModelJson(text: string): unknown {
  const trimmed = text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '');
  if (!trimmed.startsWith('{')) {
    throw new InputError('the model answered with text instead of a structured plan; nothing was run');
  }
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    throw new InputError(
      'the model answered with malformed JSON instead of a structured plan; nothing was run',
    );
  }
}
