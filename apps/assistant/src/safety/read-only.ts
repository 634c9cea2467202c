/**
 * Read-only classification, decided from the operation the plan names — never from words in the request.
 * An operation is read-only when its model name starts with a reading verb, unless it is one of the
 * listed exceptions, or when it is one of the explicitly listed reads with other names.
 */

const READ_PREFIXES = ['Describe', 'List', 'Get', 'Head', 'Lookup', 'Search', 'BatchGet', 'Scan', 'Query'];

/** Reads whose names do not start with a reading verb. Keys are `<model service>:<Operation>`. */
const EXTRA_READS = new Set([
  'dynamodb:Query',
  'dynamodb:Scan',
  'logs:FilterLogEvents',
  // Logs Insights queries only read log data; StopQuery only cancels such a read.
  'logs:StartQuery',
  'logs:StopQuery',
  'logs:TestMetricFilter',
  'cloudformation:ValidateTemplate',
  'cloudformation:EstimateTemplateCost',
  'iam:SimulatePrincipalPolicy',
  'iam:SimulateCustomPolicy',
]);

/** What running an operation risks: it only reads, it reads a secret, or it changes resources. */
export type OperationRisk = 'read' | 'secret' | 'change';

/**
 * Operations that hand out credentials or secrets (reviewed by hand against the models; issue 8 item 5).
 * They are never plain reads: the user confirms them ("reads a secret"), the default rules deny the ones
 * that mint credentials, and their output is kept out of history and audit.
 */
const SECRET_OPERATIONS: Readonly<Record<string, string>> = {
  'sts:GetSessionToken': 'returns new temporary credentials',
  'sts:GetFederationToken': 'returns new temporary credentials',
  'sts:AssumeRole': 'returns new temporary credentials',
  'sts:AssumeRoleWithSAML': 'returns new temporary credentials',
  'sts:AssumeRoleWithWebIdentity': 'returns new temporary credentials',
  'sso:GetRoleCredentials': 'returns new temporary credentials',
  'cognito-identity:GetCredentialsForIdentity': 'returns new temporary credentials',
  'cognito-identity:GetOpenIdToken': 'returns an identity token',
  'cognito-identity:GetOpenIdTokenForDeveloperIdentity': 'returns an identity token',
  'cognito-idp:InitiateAuth': 'returns user tokens',
  'cognito-idp:AdminInitiateAuth': 'returns user tokens',
  'redshift-serverless:GetCredentials': 'returns database credentials',
  'redshift:GetClusterCredentials': 'returns database credentials',
  'redshift:GetClusterCredentialsWithIAM': 'returns database credentials',
  'ecr:GetAuthorizationToken': 'returns a registry password',
  'ecr-public:GetAuthorizationToken': 'returns a registry password',
  'codeartifact:GetAuthorizationToken': 'returns a repository token',
  'secretsmanager:GetSecretValue': 'returns a secret value',
  'secretsmanager:GetRandomPassword': 'returns a password',
  'ssm:GetParameter': 'can return decrypted secure parameters',
  'ssm:GetParameters': 'can return decrypted secure parameters',
  'ssm:GetParametersByPath': 'can return decrypted secure parameters',
  'ssm:GetParameterHistory': 'can return decrypted secure parameters',
  'kms:Decrypt': 'returns decrypted data',
  'kms:GenerateDataKey': 'returns a plaintext data key',
  'kms:GenerateDataKeyPair': 'returns a plaintext private key',
  'ec2:CreateKeyPair': 'returns a private key',
  'ec2:GetPasswordData': 'returns an encrypted Windows password',
  'iam:CreateAccessKey': 'returns a new secret access key',
  'iam:CreateServiceSpecificCredential': 'returns a new service password',
  'iam:ResetServiceSpecificCredential': 'returns a new service password',
  'lightsail:GetInstanceAccessDetails': 'returns login credentials',
  'lightsail:CreateBucketAccessKey': 'returns a new secret access key',
  'lightsail:GetRelationalDatabaseMasterUserPassword': 'returns a database password',
  'lightsail:CreateKeyPair': 'returns a private key',
  'lightsail:DownloadDefaultKeyPair': 'returns a private key',
  'emr:GetClusterSessionCredentials': 'returns cluster credentials',
  'gamelift:GetInstanceAccess': 'returns login credentials',
  'gamelift:GetComputeAccess': 'returns temporary credentials',
  'gamelift:RequestUploadCredentials': 'returns temporary credentials',
  'mwaa:CreateCliToken': 'returns an Airflow token',
  'mwaa:CreateWebLoginToken': 'returns an Airflow token',
  'iot:CreateKeysAndCertificate': 'returns a private key',
  'acm:ExportCertificate': 'returns a private key',
  'grafana:CreateWorkspaceApiKey': 'returns an API key',
  'codecatalyst:CreateAccessToken': 'returns an access token',
  'finspace-data:GetProgrammaticAccessCredentials': 'returns temporary credentials',
  'finspace-data:GetExternalDataViewAccessDetails': 'returns temporary credentials',
};

/** Operations whose output holds secrets only when a flag asks for them. */
const SECRET_WHEN: Readonly<Record<string, { member: string; reason: string }>> = {
  'apigateway:GetApiKeys': { member: 'includeValues', reason: 'returns API key values' },
  'apigateway:GetApiKey': { member: 'includeValue', reason: 'returns the API key value' },
};

// Output members the models mark sensitive whose names say they are credentials (the models also mark
// descriptions, emails and page tokens sensitive; those are personal data, not secrets that grant access).
const CREDENTIAL_MEMBER =
  /(password|secret(?!(id|arn|name)$)|credential|privatekey|keymaterial|accesskey|sessiontoken|accesstoken|refreshtoken|idtoken|jointoken|securitytoken|webtoken|clitoken|tokenvalue|plaintext)/i;

export interface ReadOnlyVerdict {
  readOnly: boolean;
  risk: OperationRisk;
  reason: string;
}

export interface OperationFacts {
  /** Paths of output members the model marks sensitive (from the model index). */
  sensitiveOutput?: readonly string[];
  /** The plan's parameters (some operations return secrets only when asked to). */
  parameters?: Readonly<Record<string, unknown>>;
}

/** The credential-like sensitive output members of an operation, from its model. */
export function findSecretOutputs(sensitiveOutput: readonly string[]): string[] {
  return sensitiveOutput.filter((path) =>
    CREDENTIAL_MEMBER.test(
      path
        .split('.')
        .at(-1)
        ?.replace(/\[\]|\*/g, '') ?? '',
    ),
  );
}

/**
 * Classifies `<model service>:<Operation>` (e.g. `ec2:DescribeInstances`). Secret reads come from the
 * reviewed list and from the model (sensitive credential-like output members); they are never read-only.
 */
export function classifyOperation(action: string, facts: OperationFacts = {}): ReadOnlyVerdict {
  const listed = SECRET_OPERATIONS[action];
  if (listed) return { readOnly: false, risk: 'secret', reason: `${action} reads a secret: it ${listed}` };
  const conditional = SECRET_WHEN[action];
  if (conditional && facts.parameters?.[conditional.member] === true) {
    return { readOnly: false, risk: 'secret', reason: `${action} reads a secret: it ${conditional.reason}` };
  }
  const secrets = findSecretOutputs(facts.sensitiveOutput ?? []);
  const operation = action.slice(action.indexOf(':') + 1);
  const prefix = READ_PREFIXES.find(
    (p) => operation.startsWith(p) && /^[A-Z]/.test(operation.slice(p.length)),
  );
  const reads = EXTRA_READS.has(action) || prefix !== undefined;
  if (reads && secrets.length > 0) {
    return {
      readOnly: false,
      risk: 'secret',
      reason: `${action} reads a secret: its answer holds ${secrets.slice(0, 3).join(', ')}`,
    };
  }
  if (EXTRA_READS.has(action)) return { readOnly: true, risk: 'read', reason: `${action} only reads` };
  if (prefix) return { readOnly: true, risk: 'read', reason: `${prefix}* operations only read` };
  if (secrets.length > 0) {
    return {
      readOnly: false,
      risk: 'secret',
      reason: `${action} changes resources and its answer holds secrets (${secrets.slice(0, 3).join(', ')})`,
    };
  }
  return { readOnly: false, risk: 'change', reason: `${action} can change resources` };
}
