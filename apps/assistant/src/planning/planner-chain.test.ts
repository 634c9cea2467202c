import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError, NotAuthenticatedError, UpstreamError } from '@ashapp/platform';
import type { AwsStandIn } from '@ashapp/aws-stand-in';
import { startAwsStandIn } from '@ashapp/aws-stand-in';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { createBedrockPlanner } from './bedrock-planner.ts';
import { createBuiltInPlanner, NotUnderstoodError } from './builtin-planner.ts';
import { createLiteralPlanner } from './literal-planner.ts';
import type { LlmPlanner } from './llm-planner.ts';
import { PLAN_TOOL_NAME } from './llm-planner.ts';
import { createOpenAiPlanner } from './openai-planner.ts';
import { createPlannerChain } from './planner-chain.ts';

const catalog = createAwsModelCatalog();
const literal = createLiteralPlanner({ catalog });
const builtIn = createBuiltInPlanner();
const alice = {
  accessKeyId: 'AKIASTANDINALICE0001',
  secretAccessKey: 'alice-secret-key-000000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
};
const scripted = (answer: unknown): LlmPlanner => ({ name: 'openai', proposePlan: async () => answer });

describe('planner chain', () => {
  test('uses the literal planner for aws commands', async () => {
    const chain = createPlannerChain({ catalog, literal, builtIn });
    const result = await chain.planRequest({ request: 'aws s3 ls', defaultRegion: 'eu-west-1' });
    assert.equal(result.planner, 'literal');
    assert.equal(result.command, 'aws s3api list-buckets --region eu-west-1');
    assert.equal(result.action, 's3:ListBuckets');
  });

  test('uses the built-in planner for plain language', async () => {
    const chain = createPlannerChain({ catalog, literal, builtIn });
    const result = await chain.planRequest({ request: 'list ec2 instance ids', defaultRegion: 'us-east-1' });
    assert.equal(result.planner, 'built-in');
    assert.equal(
      result.command,
      "aws ec2 describe-instances --query 'Reservations[].Instances[].InstanceId' --output text --region us-east-1",
    );
  });

  test('says it did not understand, with suggestions, when no planner does', async () => {
    const chain = createPlannerChain({ catalog, literal, builtIn });
    await assert.rejects(
      chain.planRequest({ request: 'show my lamda fnctions', defaultRegion: 'us-east-1' }),
      (err: unknown) =>
        err instanceof NotUnderstoodError &&
        err.status === 400 &&
        err.suggestions.length > 0 &&
        /did not understand/.test(err.message),
    );
  });

  test('asks the LLM only when the built-in rules do not understand, and validates its plan', async () => {
    let asked = 0;
    const llm: LlmPlanner = {
      name: 'openai',
      proposePlan: async () => {
        asked++;
        return {
          service: 'ec2',
          operation: 'describe-vpcs',
          parameters: { Filters: [{ Name: 'cidr', Values: ['10.0.0.0/16'] }] },
        };
      },
    };
    const chain = createPlannerChain({ catalog, literal, builtIn, llm });
    await chain.planRequest({ request: 'list s3 buckets', defaultRegion: 'us-east-1' });
    assert.equal(asked, 0);
    const result = await chain.planRequest({
      request: 'which networks use 10.0.0.0/16',
      defaultRegion: 'us-east-1',
    });
    assert.equal(asked, 1);
    assert.equal(result.planner, 'openai');
    assert.equal(result.plan.region, 'us-east-1');
  });

  test('rejects a model plan with an unknown operation or parameter, or one that reads local files', async () => {
    for (const answer of [
      { service: 'ec2', operation: 'hack-the-planet', parameters: {} },
      { service: 'ec2', operation: 'describe-instances', parameters: { Shell: 'rm -rf /' } },
      {
        service: 'iam',
        operation: 'create-policy',
        parameters: { PolicyName: 'p', PolicyDocument: 'file:///etc/shadow' },
      },
      {
        service: 'ec2',
        operation: 'describe-instances',
        parameters: {},
        command: 'aws ec2 describe-instances; id',
      },
      'aws ec2 describe-instances',
    ]) {
      const chain = createPlannerChain({ catalog, literal, builtIn, llm: scripted(answer) });
      await assert.rejects(
        chain.planRequest({ request: 'do the thing', defaultRegion: 'us-east-1' }),
        (err: unknown) => err instanceof InputError && /rejected|Nothing was run/i.test(err.message),
        JSON.stringify(answer),
      );
    }
  });

  test('reports not understood when the model declines', async () => {
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: scripted({ service: 'none', operation: 'none', parameters: {} }),
    });
    await assert.rejects(
      chain.planRequest({ request: 'bake a cake', defaultRegion: 'us-east-1' }),
      NotUnderstoodError,
    );
  });
});

describe('Bedrock planner against the AWS stand-in', () => {
  let standIn: AwsStandIn;
  before(async () => {
    standIn = await startAwsStandIn({ users: [alice] });
  });
  after(async () => {
    await standIn.close();
  });

  test('turns a forced tool call from Converse into a validated plan, signed with the user credentials', async () => {
    standIn.setBedrockAnswer(() => ({
      toolUse: {
        name: PLAN_TOOL_NAME,
        input: { service: 'ec2', operation: 'describe-vpcs', parameters: {} },
      },
    }));
    const llm = createBedrockPlanner({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      endpoint: standIn.url,
    });
    const chain = createPlannerChain({ catalog, literal, builtIn, llm });
    const result = await chain.planRequest({
      request: 'which networks do we have here',
      defaultRegion: 'us-east-1',
      credentials: alice,
    });
    assert.equal(result.planner, 'bedrock');
    assert.equal(result.command, 'aws ec2 describe-vpcs --region us-east-1');
    const call = standIn.calls.at(-1);
    assert.equal(call?.action, 'Converse');
    assert.equal(call?.accessKeyId, alice.accessKeyId);
    const toolConfig = call?.params['toolConfig'] as { toolChoice: { tool: { name: string } } };
    assert.equal(toolConfig.toolChoice.tool.name, PLAN_TOOL_NAME);
  });

  test('rejects a prose answer from the model and runs nothing', async () => {
    standIn.setBedrockAnswer(() => ({
      text: 'Sure! Run `aws ec2 terminate-instances --instance-ids i-1` to do that.',
    }));
    const llm = createBedrockPlanner({ modelId: 'm', endpoint: standIn.url });
    const chain = createPlannerChain({ catalog, literal, builtIn, llm });
    await assert.rejects(
      chain.planRequest({
        request: 'tidy everything up please',
        defaultRegion: 'us-east-1',
        credentials: alice,
      }),
      (err: unknown) => err instanceof InputError && /text instead of a structured plan/.test(err.message),
    );
    assert.equal(standIn.calls.filter((c) => c.service === 'ec2').length, 0);
  });

  test('rejects an unknown operation from the model', async () => {
    standIn.setBedrockAnswer(() => ({
      toolUse: {
        name: PLAN_TOOL_NAME,
        input: { service: 'ec2', operation: 'delete-everything', parameters: {} },
      },
    }));
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: createBedrockPlanner({ modelId: 'm', endpoint: standIn.url }),
    });
    await assert.rejects(
      chain.planRequest({
        request: 'tidy everything up please',
        defaultRegion: 'us-east-1',
        credentials: alice,
      }),
      /unknown operation "delete-everything"/,
    );
  });

  test('asks to sign in again when Bedrock refuses the credentials', async () => {
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: createBedrockPlanner({ modelId: 'm', endpoint: standIn.url }),
    });
    await assert.rejects(
      chain.planRequest({
        request: 'tidy everything up please',
        defaultRegion: 'us-east-1',
        credentials: { ...alice, secretAccessKey: 'wrong' },
      }),
      NotAuthenticatedError,
    );
  });
});

describe('OpenAI-compatible planner against an OpenAI stand-in', () => {
  let url = '';
  let answer: unknown = {};
  let status = 200;
  const requests: { auth: string | undefined; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        auth: req.headers['authorization'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('sends the forced tool schema with the key and reads the tool call arguments', async () => {
    status = 200;
    answer = {
      choices: [
        {
          message: {
            tool_calls: [
              {
                type: 'function',
                function: {
                  name: PLAN_TOOL_NAME,
                  arguments: JSON.stringify({ service: 'sqs', operation: 'list-queues', parameters: {} }),
                },
              },
            ],
          },
        },
      ],
    };
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: createOpenAiPlanner({ baseUrl: url, model: 'gpt-test', apiKey: 'sk-test' }),
    });
    const result = await chain.planRequest({
      request: 'what message buffers exist',
      defaultRegion: 'us-east-1',
    });
    assert.equal(result.command, 'aws sqs list-queues --region us-east-1');
    const sent = requests.at(-1);
    assert.equal(sent?.auth, 'Bearer sk-test');
    assert.deepEqual(sent?.body['tool_choice'], { type: 'function', function: { name: PLAN_TOOL_NAME } });
  });

  test('reads a json_schema response format answer', async () => {
    answer = {
      choices: [{ message: { content: '{"service":"sns","operation":"list-topics","parameters":{}}' } }],
    };
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: createOpenAiPlanner({ baseUrl: url, model: 'm', mode: 'json_schema' }),
    });
    assert.equal(
      (await chain.planRequest({ request: 'what notification channels exist', defaultRegion: 'us-east-1' }))
        .plan.service,
      'sns',
    );
    assert.equal((requests.at(-1)?.body['response_format'] as { type: string }).type, 'json_schema');
  });

  test('rejects prose content', async () => {
    answer = { choices: [{ message: { content: 'You can run aws s3 ls; rm -rf / to see them.' } }] };
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: createOpenAiPlanner({ baseUrl: url, model: 'm', mode: 'json_schema' }),
    });
    await assert.rejects(
      chain.planRequest({ request: 'what notification channels exist', defaultRegion: 'us-east-1' }),
      /text instead of a structured plan/,
    );
  });

  test('reports an upstream failure without echoing the provider body', async () => {
    status = 401;
    answer = { error: { message: 'bad key sk-test' } };
    const chain = createPlannerChain({
      catalog,
      literal,
      builtIn,
      llm: createOpenAiPlanner({ baseUrl: url, model: 'm', apiKey: 'sk-test' }),
    });
    await assert.rejects(
      chain.planRequest({ request: 'what notification channels exist', defaultRegion: 'us-east-1' }),
      (err: unknown) => err instanceof UpstreamError && !err.message.includes('sk-test'),
    );
  });
});
