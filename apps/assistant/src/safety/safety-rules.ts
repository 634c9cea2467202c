import { InputError } from '@ashapp/platform';

export type SafetyEffect = 'deny' | 'ask' | 'allow';

/**
 * An operator rule. `actions` are patterns over `<model service>:<Operation>` (`iam:Delete*`, `*:Terminate*`)
 * or the CLI form (`s3api:delete-bucket`), matched case-insensitively; `*` and `?` are wildcards.
 * Without `roles` the rule applies to everyone.
 */
export interface SafetyRule {
  effect: SafetyEffect;
  actions: string[];
  roles?: string[];
  reason?: string;
}

export interface SafetyDecision {
  effect: SafetyEffect;
  /** Whether the user must confirm before it runs. */
  confirm: boolean;
  reason: string;
  rule?: SafetyRule;
}

export interface SafetyCheckInput {
  /** `<model service>:<Operation>`, e.g. `ec2:StopInstances`. */
  action: string;
  /** `<cli service>:<cli-operation>`, e.g. `ec2:stop-instances`. */
  cliAction: string;
  readOnly: boolean;
  roles: readonly string[];
}

export interface SafetyPolicy {
  decide(input: SafetyCheckInput): SafetyDecision;
}

/**
 * Default rules: operations that hand out credentials would put them in history and audit records, so
 * they are blocked unless an operator allows them.
 */
export const DEFAULT_SAFETY_RULES: readonly SafetyRule[] = [
  {
    effect: 'deny',
    actions: [
      'sts:GetSessionToken',
      'sts:GetFederationToken',
      'sts:AssumeRole*',
      'sso:GetRoleCredentials',
      'cognito-identity:GetCredentialsForIdentity',
      'cognito-identity:GetOpenIdToken*',
      'cognito-idp:*InitiateAuth',
      'redshift:GetClusterCredentials*',
      'redshift-serverless:GetCredentials',
      'iam:CreateAccessKey',
      'iam:CreateServiceSpecificCredential',
      'iam:ResetServiceSpecificCredential',
      'iam:CreateLoginProfile',
      'iam:UpdateLoginProfile',
      'ecr:GetAuthorizationToken',
      'ecr-public:GetAuthorizationToken',
      'codeartifact:GetAuthorizationToken',
      'ec2:CreateKeyPair',
      'lightsail:GetInstanceAccessDetails',
      'lightsail:CreateBucketAccessKey',
      'lightsail:CreateKeyPair',
      'lightsail:DownloadDefaultKeyPair',
      'emr:GetClusterSessionCredentials',
      'gamelift:GetInstanceAccess',
      'gamelift:GetComputeAccess',
      'mwaa:CreateCliToken',
      'mwaa:CreateWebLoginToken',
      'iot:CreateKeysAndCertificate',
      'grafana:CreateWorkspaceApiKey',
      'codecatalyst:CreateAccessToken',
    ],
    reason: 'it hands out credentials, which must not pass through a shared console',
  },
  {
    effect: 'ask',
    actions: [
      'secretsmanager:GetSecretValue',
      'secretsmanager:GetRandomPassword',
      'ssm:GetParameter*',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'apigateway:GetApiKey*',
      'lightsail:GetRelationalDatabaseMasterUserPassword',
      'ec2:GetPasswordData',
      'acm:ExportCertificate',
    ],
    reason: 'it reads a secret',
  },
];

function compilePattern(pattern: string): RegExp {
  if (!/^[A-Za-z0-9*?-]+:[A-Za-z0-9*?-]+$/.test(pattern)) {
    throw new InputError(
      `invalid safety rule pattern "${pattern}" (expected service:Operation with * and ? wildcards)`,
    );
  }
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

/**
 * Builds the policy: deny beats ask beats allow among the rules that match the caller's roles; with no
 * matching rule, read-only operations run at once and everything else asks for confirmation.
 */
export function createSafetyPolicy(rules: readonly SafetyRule[] = DEFAULT_SAFETY_RULES): SafetyPolicy {
  const compiled = rules.map((rule) => {
    if (!['deny', 'ask', 'allow'].includes(rule.effect))
      throw new InputError(`invalid safety rule effect "${String(rule.effect)}"`);
    return { rule, patterns: rule.actions.map(compilePattern) };
  });

  function decide(input: SafetyCheckInput): SafetyDecision {
    const applicable = compiled.filter(
      ({ rule, patterns }) =>
        (rule.roles === undefined || rule.roles.some((r) => input.roles.includes(r))) &&
        patterns.some((p) => p.test(input.action) || p.test(input.cliAction)),
    );
    for (const effect of ['deny', 'ask', 'allow'] as const) {
      const match = applicable.find(({ rule }) => rule.effect === effect);
      if (match) {
        return {
          effect,
          confirm: effect === 'ask',
          reason: match.rule.reason ?? `${input.action} matches a ${effect} rule`,
          rule: match.rule,
        };
      }
    }
    return input.readOnly
      ? { effect: 'allow', confirm: false, reason: `${input.action} only reads` }
      : { effect: 'ask', confirm: true, reason: `${input.action} can change resources` };
  }

  return { decide };
}
