import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEventInput, AuditOutbox, Identity } from '@ashapp/platform';
import type { AwsCliExecutor, CliRunResult } from '../aws-cli/cli-executor.ts';
import { createAwsModelCatalog } from '../aws-models/model-catalog.ts';
import { createBuiltInPlanner } from '../planning/builtin-planner.ts';
import { createLiteralPlanner } from '../planning/literal-planner.ts';
import { createModelPlanner } from '../planning/model-planner.ts';
import type { Plan } from '../plan/plan.ts';
import { createPlannerChain } from '../planning/planner-chain.ts';
import { createConfirmationService } from '../safety/confirmation-service.ts';
import { createInMemoryConfirmationStore } from '../safety/confirmation-store.ts';
import { createSafetyPolicy, DEFAULT_SAFETY_RULES } from '../safety/safety-rules.ts';
import { createAssistantService, type Caller } from './assistant-service.ts';

const SECRET = 'S3cr3t-Pa55w0rd-Do-Not-Store';
const catalog = createAwsModelCatalog();

/** An AWS stand-in at the executor's port: answers every operation with Secrets Manager's secret shape. */
function createSecretsStandIn(): AwsCliExecutor & { runs: Plan[] } {
  const runs: Plan[] = [];
  return {
    runs,
    run: async (plan): Promise<CliRunResult> => {
      runs.push(plan);
      const json = {
        ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:prod/db',
        Name: 'prod/db',
        SecretString: SECRET,
      };
      const raw = JSON.stringify(json);
      return { json, raw, text: raw, durationMs: 1, argv: [] };
    },
    dryRun: async () => undefined,
    supportsDryRun: () => false,
  };
}

function setup() {
  const saved: { query: string; output: string }[] = [];
  const events: AuditEventInput[] = [];
  const audit = {
    record: async (event: AuditEventInput) => {
      events.push(event);
      return String(events.length);
    },
    start: () => undefined,
    stop: async () => undefined,
  } as unknown as AuditOutbox;
  const executor = createSecretsStandIn();
  const service = createAssistantService({
    planner: createPlannerChain({
      catalog,
      literal: createLiteralPlanner({ catalog }),
      builtIn: createBuiltInPlanner(),
      model: createModelPlanner({ catalog }),
    }),
    executor,
    policy: createSafetyPolicy(DEFAULT_SAFETY_RULES),
    confirmations: createConfirmationService({ store: createInMemoryConfirmationStore() }),
    history: {
      save: async (_identity: Identity, query: string, output: string) => {
        saved.push({ query, output });
      },
    },
    audit,
  });
  const caller: Caller = {
    identity: { userId: 'arn:aws:iam::1:user/alice', roles: ['user'], requestId: 'r1', sessionId: 's1' },
    credentials: {
      accessKeyId: 'AKIAEXAMPLE000000001',
      secretAccessKey: 'x'.repeat(40),
      region: 'us-east-1',
    },
    meta: { endpoint: '/api/ask', ip: '127.0.0.1', userAgent: undefined },
  };
  return { service, caller, saved, events, executor };
}

describe('assistant service: secret reads', () => {
  test('holds a secret read for confirmation with its own wording, and never stores its answer', async () => {
    const { service, caller, saved, events, executor } = setup();
    const asked = await service.ask(caller, 'get secret value of prod/db/password from secrets manager');
    assert.equal(asked.confirmation_needed, true);
    assert.equal(asked.risk, 'secret');
    assert.equal(asked.read_only, false);
    assert.match(asked.output, /reads a secret/);
    assert.doesNotMatch(asked.output, /changes resources/);
    assert.equal(executor.runs.length, 0);

    const done = await service.confirm(caller, {
      confirmationId: asked.confirmation_id as string,
      decision: 'accept',
    });
    assert.equal(executor.runs.length, 1);
    assert.match(done.output, new RegExp(SECRET));
    for (const entry of saved) assert.doesNotMatch(entry.output, new RegExp(SECRET));
    assert.match(saved.at(-1)?.output ?? '', /holds secrets and is not stored/);
    assert.doesNotMatch(JSON.stringify(events), new RegExp(SECRET));
  });

  test('a change keeps the "changes resources" wording and risk', async () => {
    const { service, caller } = setup();
    const asked = await service.ask(caller, 'stop sagemaker notebook instance research-nb');
    assert.equal(asked.risk, 'change');
    assert.match(asked.output, /changes resources/);
  });

  test('answers choices without running anything when two operations fit', async () => {
    const { service, caller, executor } = setup();
    const asked = await service.ask(caller, 'show athena queries');
    assert.equal(asked.confirmation_needed, false);
    assert.equal(asked.result, undefined);
    assert.equal(asked.choices?.length, 2);
    assert.match(asked.output, /aws athena list-named-queries/);
    assert.match(asked.output, /aws athena list-query-executions/);
    assert.equal(executor.runs.length, 0);
  });

  test('answers the planned command and what to install when this server cannot run commands', async () => {
    const { caller, saved } = setup();
    const service = createAssistantService({
      planner: createPlannerChain({
        catalog,
        literal: createLiteralPlanner({ catalog }),
        builtIn: createBuiltInPlanner(),
        model: createModelPlanner({ catalog }),
      }),
      executor: createSecretsStandIn(),
      policy: createSafetyPolicy(DEFAULT_SAFETY_RULES),
      confirmations: createConfirmationService({ store: createInMemoryConfirmationStore() }),
      history: {
        save: async (_i: Identity, query: string, output: string) => void saved.push({ query, output }),
      },
      audit: { record: async () => '1' } as unknown as AuditOutbox,
      readExecutionUnavailable: async () => 'AWS CLI v2 not found',
    });
    const asked = await service.ask(caller, 'list my state machines');
    assert.equal(asked.command, 'aws stepfunctions list-state-machines --region us-east-1');
    assert.equal(asked.not_run_reason, 'AWS CLI v2 not found');
    assert.match(asked.output, /apt-get install awscli/);
  });
});
