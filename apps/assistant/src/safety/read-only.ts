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

/**
 * Operations that read by name but hand out credentials or secrets. Their output would land in history
 * and the audit trail, so they are treated as changes (confirmation, and denied by the default rules).
 */
const SENSITIVE_READS: Readonly<Record<string, string>> = {
  'sts:GetSessionToken': 'returns new temporary credentials',
  'sts:GetFederationToken': 'returns new temporary credentials',
  'ecr:GetAuthorizationToken': 'returns a registry password',
  'ecr-public:GetAuthorizationToken': 'returns a registry password',
  'codeartifact:GetAuthorizationToken': 'returns a repository token',
  'secretsmanager:GetSecretValue': 'returns a secret value',
  'ssm:GetParameter': 'can return decrypted secure parameters',
  'ssm:GetParameters': 'can return decrypted secure parameters',
  'ssm:GetParametersByPath': 'can return decrypted secure parameters',
  'lightsail:GetInstanceAccessDetails': 'returns login credentials',
  'redshift:GetClusterCredentials': 'returns database credentials',
};

export interface ReadOnlyVerdict {
  readOnly: boolean;
  reason: string;
}

/** Classifies `<model service>:<Operation>` (e.g. `ec2:DescribeInstances`). */
export function classifyOperation(action: string): ReadOnlyVerdict {
  const sensitive = SENSITIVE_READS[action];
  if (sensitive) return { readOnly: false, reason: `${action} ${sensitive}` };
  if (EXTRA_READS.has(action)) return { readOnly: true, reason: `${action} only reads` };
  const operation = action.slice(action.indexOf(':') + 1);
  const prefix = READ_PREFIXES.find(
    (p) => operation.startsWith(p) && /^[A-Z]/.test(operation.slice(p.length)),
  );
  if (prefix) return { readOnly: true, reason: `${prefix}* operations only read` };
  return { readOnly: false, reason: `${action} can change resources` };
}
