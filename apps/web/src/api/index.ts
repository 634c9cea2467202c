import { createAuthClient, type AuthClient } from './auth.ts';
import { createHistoryClient, type HistoryClient } from './history.ts';
import { createHttpClient, type HttpClientDeps } from './http.ts';
import { createMonitorClient, type MonitorClient } from './monitor.ts';
import { createAssistantClient, type AssistantClient } from './assistant.ts';
import { createCodeBuildClient, type CodeBuildClient } from './codebuild.ts';
import { createDeployerClient, type DeployerClient } from './deployer.ts';

export interface Api {
  auth: AuthClient;
  history: HistoryClient;
  monitor: MonitorClient;
  assistant: AssistantClient;
  codebuild: CodeBuildClient;
  deployer: DeployerClient;
}

export function createApi(deps: HttpClientDeps & { origin: string }): Api {
  const http = createHttpClient(deps);
  return {
    auth: createAuthClient(http),
    history: createHistoryClient(http, deps.origin),
    monitor: createMonitorClient(http),
    assistant: createAssistantClient(http),
    codebuild: createCodeBuildClient(http),
    deployer: createDeployerClient(http),
  };
}

export { ApiError, describeError } from './http.ts';
export type { StreamStatus } from './event-stream.ts';
