import type * as CodeBuildModule from '@aws-sdk/client-codebuild';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type * as LogsModule from '@aws-sdk/client-cloudwatch-logs';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type * as IamModule from '@aws-sdk/client-iam';
import { commonJsExports } from '@ashapp/platform';
import type { AwsSigningKeys } from '../aws-credentials.ts';

export interface CodeBuildClientConfig {
  region: string;
  credentials: AwsSigningKeys;
  maxAttempts: number;
  endpoint?: string;
}

/** The SDK modules CodeBuild work uses, loaded with `import()` on first use (see createCodeBuildService). */
export interface CodeBuildSdk {
  codebuild: typeof CodeBuildModule;
  logs: typeof LogsModule;
  iam: typeof IamModule;
}

export interface CodeBuildClients {
  sdk: CodeBuildSdk;
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
}

/** Loads the SDK packages (once per process: the module cache keeps them) and opens the two clients. */
export async function openCodeBuildClients(config: CodeBuildClientConfig): Promise<CodeBuildClients> {
  const [codebuild, logs, iam] = (
    await Promise.all([
      import('@aws-sdk/client-codebuild'),
      import('@aws-sdk/client-cloudwatch-logs'),
      import('@aws-sdk/client-iam'),
    ])
  ).map(commonJsExports) as [typeof CodeBuildModule, typeof LogsModule, typeof IamModule];
  const sdk = { codebuild, logs, iam };
  return {
    sdk,
    codebuild: new codebuild.CodeBuildClient(config),
    logs: new logs.CloudWatchLogsClient(config),
  };
}
