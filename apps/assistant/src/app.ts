import {
  createServiceApp,
  type AuditOutbox,
  type Database,
  type Logger,
  type ServiceApp,
} from '@ashapp/platform';
import { createAssistantService } from './assistant/assistant-service.ts';
import { registerAssistantRoutes } from './assistant/routes.ts';
import { createCliRunMetrics } from './aws-cli/run-metrics.ts';
import { selectExecutor } from './aws-cli/select-executor.ts';
import { createDeferredExecutor, type ExecutionSetup } from './aws-cli/deferred-executor.ts';
import { createAwsModelCatalog, type AwsModelCatalog } from './aws-models/model-catalog.ts';
import { createCompoundService } from './compound/compound-service.ts';
import { createCodeBuildService } from './codebuild/codebuild-service.ts';
import { registerCodeBuildRoutes } from './codebuild/routes.ts';
import type { AssistantConfig } from './config.ts';
import type { HistoryRecorder } from './history/history-recorder.ts';
import { createBedrockPlanner } from './planning/bedrock-planner.ts';
import { createBuiltInPlanner } from './planning/builtin-planner.ts';
import { createLiteralPlanner } from './planning/literal-planner.ts';
import type { LlmPlanner } from './planning/llm-planner.ts';
import { createModelPlanner } from './planning/model-planner.ts';
import { createOpenAiPlanner } from './planning/openai-planner.ts';
import { createPlannerChain } from './planning/planner-chain.ts';
import { createConfirmationService } from './safety/confirmation-service.ts';
import type { ConfirmationTables } from './safety/database-confirmation-store.ts';
import { createDatabaseConfirmationStore } from './safety/database-confirmation-store.ts';
import { createSafetyPolicy } from './safety/safety-rules.ts';

export type AppConfig = Pick<
  AssistantConfig,
  | 'internalAuthSecret'
  | 'awsEndpointUrl'
  | 'cliTimeoutMs'
  | 'cliMaxOutputBytes'
  | 'executor'
  | 'executorWorkers'
  | 'llm'
  | 'safetyRules'
  | 'codebuildServiceRole'
  | 'codebuildImage'
  | 'confirmationKey'
>;

export interface AssistantAppDeps {
  config: AppConfig;
  log: Logger;
  database: Database<ConfirmationTables>;
  audit: AuditOutbox;
  history: HistoryRecorder;
  /**
   * What running plans needs from the host (a verified AWS CLI v2 or why there is none, and its Python).
   * main passes the probe still running, so the service listens without waiting for a Python start-up;
   * without a CLI the assistant still plans, answers runs with what to install, and is not ready.
   */
  execution: ExecutionSetup | Promise<ExecutionSetup>;
  catalog?: AwsModelCatalog;
  /** Overrides the configured LLM planner (tests). */
  llm?: LlmPlanner;
}

/** The LLM planner the configuration names, or none. */
export function selectLlmPlanner(config: AppConfig): LlmPlanner | undefined {
  const { llm } = config;
  if (llm.provider === 'bedrock' && llm.model) {
    return createBedrockPlanner({
      modelId: llm.model,
      timeoutMs: llm.timeoutMs,
      ...(config.awsEndpointUrl ? { endpoint: config.awsEndpointUrl } : {}),
    });
  }
  if (llm.provider === 'openai' && llm.model && llm.baseUrl) {
    return createOpenAiPlanner({
      baseUrl: llm.baseUrl,
      model: llm.model,
      timeoutMs: llm.timeoutMs,
      ...(llm.apiKey ? { apiKey: llm.apiKey } : {}),
    });
  }
  return undefined;
}

/** The assistant's HTTP app, built from its dependencies; nothing listens or runs until main does. */
export async function buildApp(deps: AssistantAppDeps): Promise<ServiceApp> {
  const { config, log } = deps;
  const catalog = deps.catalog ?? createAwsModelCatalog();
  const runMetrics = createCliRunMetrics();
  const deferred = createDeferredExecutor({
    catalog,
    setup: Promise.resolve(deps.execution),
    select: (setup) =>
      selectExecutor({
        mode: config.executor,
        catalog,
        cli: setup.cli,
        pythonPath: setup.cliPython,
        timeoutMs: config.cliTimeoutMs,
        maxOutputBytes: config.cliMaxOutputBytes,
        workers: config.executorWorkers,
        log,
        ...(config.awsEndpointUrl ? { endpointUrl: config.awsEndpointUrl } : {}),
      }),
  });
  const executor = runMetrics.instrument(deferred);
  const app = await createServiceApp({
    name: 'assistant',
    description: 'Plain language to AWS operations: planning, safe execution, confirmations, CodeBuild.',
    log,
    identitySecret: config.internalAuthSecret,
    bodyLimit: 256 * 1024,
    readinessChecks: [
      { name: 'database', check: () => deps.database.ping() },
      { name: 'aws-cli', check: async () => deferred.checkCli() },
      { name: 'aws-executor', check: async () => executor.checkReady() },
    ],
  });
  runMetrics.register(app.metrics.registry);
  const llm = deps.llm ?? selectLlmPlanner(config);
  const planner = createPlannerChain({
    catalog,
    literal: createLiteralPlanner({ catalog }),
    builtIn: createBuiltInPlanner(),
    model: createModelPlanner({ catalog }),
    ...(llm ? { llm } : {}),
  });
  // Warm workers start once the app is ready, in the background: readiness does not wait for Python
  // processes (a call queues for the first worker, or takes the CLI in auto mode). Closing waits for them.
  let starting: Promise<void> = Promise.resolve();
  app.addHook('onReady', async () => {
    // The executors report their own start failures; this keeps a surprise from becoming unhandled.
    starting = executor.start().catch((err: unknown) => {
      log.error({ err }, 'AWS executor could not start');
    });
  });
  app.addHook('onClose', async () => {
    await starting;
    await executor.close();
  });
  const confirmations = createConfirmationService({
    store: createDatabaseConfirmationStore(deps.database),
    hashKey: config.confirmationKey,
  });
  const policy = createSafetyPolicy(config.safetyRules);
  const service = createAssistantService({
    planner,
    executor,
    policy,
    confirmations,
    history: deps.history,
    audit: deps.audit,
    readExecutionUnavailable: () => deferred.readUnavailableReason(),
    compound: createCompoundService({
      catalog,
      executor,
      policy,
      confirmations,
      history: deps.history,
      audit: deps.audit,
    }),
  });
  registerAssistantRoutes(app, { service, internalSecret: config.internalAuthSecret });
  registerCodeBuildRoutes(app, {
    audit: deps.audit,
    internalSecret: config.internalAuthSecret,
    openCodeBuild: (credentials) =>
      createCodeBuildService({
        credentials,
        region: credentials.region,
        ...(config.awsEndpointUrl ? { endpoint: config.awsEndpointUrl } : {}),
        ...(config.codebuildServiceRole ? { serviceRoleArn: config.codebuildServiceRole } : {}),
        ...(config.codebuildImage ? { defaultImage: config.codebuildImage } : {}),
      }),
  });
  return app;
}
