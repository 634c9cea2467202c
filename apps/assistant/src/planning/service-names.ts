import type { ServiceSummary } from '../aws-models/model-catalog.ts';
import { normalizeWord } from './words.ts';

/**
 * Recognises which AWS service a request names: by its CLI name, service id, abbreviation, full name
 * (without "Amazon"/"AWS"), and a reviewed list of product names and resource nouns people use instead.
 */

/** How a request refers to a service. */
export interface ServiceMention {
  service: string;
  /** Token positions [start, end) the mention covers. */
  start: number;
  end: number;
  /**
   * `name`: the service's own name ("step functions", "ec2"): its words are not resource nouns.
   * `noun`: a resource only one service has ("state machine", "log group"): its words stay nouns.
   */
  kind: 'name' | 'noun';
  /** A weak mention (a common English word, a generic noun) counts only when nothing stronger is named. */
  weak: boolean;
  /** Resource nouns the name implies when the request gives none ("list step functions" → state machines). */
  impliedNouns: readonly string[];
}

interface AliasEntry {
  service: string;
  kind: 'name' | 'noun';
  weak: boolean;
  impliedNouns: readonly string[];
  /** Lower is preferred when two services claim the same words. */
  rank: number;
}

interface CuratedAlias {
  words: string;
  service: string;
  kind?: 'name' | 'noun';
  weak?: boolean;
  implies?: string;
}

// Product names, abbreviations and resource nouns that the models' own names do not give. Reviewed by hand:
// each maps to the one service a DevOps engineer means by it.
const CURATED: readonly CuratedAlias[] = [
  { words: 'step functions', service: 'stepfunctions', implies: 'state machines' },
  { words: 'step function', service: 'stepfunctions', implies: 'state machines' },
  { words: 'sfn', service: 'stepfunctions', implies: 'state machines' },
  { words: 'state machine', service: 'stepfunctions', kind: 'noun' },
  { words: 'msk', service: 'kafka', implies: 'clusters' },
  { words: 'managed kafka', service: 'kafka', implies: 'clusters' },
  { words: 'msk connect', service: 'kafkaconnect' },
  { words: 'systems manager', service: 'ssm' },
  { words: 'parameter store', service: 'ssm', implies: 'parameters' },
  { words: 'ssm parameter', service: 'ssm', kind: 'noun' },
  { words: 'cognito user pool', service: 'cognito-idp', kind: 'noun' },
  { words: 'user pool', service: 'cognito-idp', kind: 'noun' },
  { words: 'cognito identity pool', service: 'cognito-identity', kind: 'noun' },
  { words: 'identity pool', service: 'cognito-identity', kind: 'noun' },
  { words: 'cognito', service: 'cognito-idp' },
  { words: 'route 53', service: 'route53' },
  { words: 'hosted zone', service: 'route53', kind: 'noun' },
  { words: 'dns', service: 'route53', weak: true },
  { words: 'route 53 domains', service: 'route53domains' },
  { words: 's3', service: 's3api', implies: 'buckets' },
  { words: 's3 bucket', service: 's3api', kind: 'noun' },
  { words: 'bucket', service: 's3api', kind: 'noun', weak: true },
  { words: 'cloudwatch logs', service: 'logs' },
  { words: 'cloudwatch log', service: 'logs' },
  { words: 'log group', service: 'logs', kind: 'noun' },
  { words: 'log stream', service: 'logs', kind: 'noun' },
  { words: 'logs', service: 'logs', weak: true, implies: 'log groups' },
  { words: 'cloudwatch alarm', service: 'cloudwatch', kind: 'noun' },
  { words: 'alarm', service: 'cloudwatch', kind: 'noun', weak: true },
  { words: 'cloudwatch events', service: 'events' },
  { words: 'eventbridge', service: 'events' },
  { words: 'event bridge', service: 'events' },
  { words: 'eventbridge rule', service: 'events', kind: 'noun' },
  { words: 'event bus', service: 'events', kind: 'noun' },
  { words: 'eventbridge scheduler', service: 'scheduler' },
  { words: 'eventbridge pipes', service: 'pipes' },
  { words: 'secrets manager', service: 'secretsmanager', implies: 'secrets' },
  { words: 'secret', service: 'secretsmanager', kind: 'noun', weak: true },
  { words: 'load balancer', service: 'elbv2', kind: 'noun', weak: true },
  { words: 'target group', service: 'elbv2', kind: 'noun' },
  { words: 'alb', service: 'elbv2', implies: 'load balancers' },
  { words: 'nlb', service: 'elbv2', implies: 'load balancers' },
  { words: 'elb', service: 'elbv2', implies: 'load balancers' },
  { words: 'elastic load balancing', service: 'elbv2', implies: 'load balancers' },
  { words: 'classic load balancer', service: 'elb', kind: 'noun' },
  { words: 'auto scaling', service: 'autoscaling' },
  { words: 'asg', service: 'autoscaling', implies: 'auto scaling groups' },
  { words: 'auto scaling group', service: 'autoscaling', kind: 'noun' },
  { words: 'redis', service: 'elasticache', weak: true },
  { words: 'memcached', service: 'elasticache', weak: true },
  { words: 'opensearch', service: 'opensearch', implies: 'domains' },
  { words: 'elasticsearch', service: 'opensearch', implies: 'domains' },
  { words: 'firehose', service: 'firehose', implies: 'delivery streams' },
  { words: 'kinesis firehose', service: 'firehose', implies: 'delivery streams' },
  { words: 'kinesis stream', service: 'kinesis', kind: 'noun' },
  { words: 'api gateway', service: 'apigateway' },
  { words: 'apigw', service: 'apigateway' },
  { words: 'rest api', service: 'apigateway', kind: 'noun' },
  { words: 'http api', service: 'apigatewayv2', kind: 'noun' },
  { words: 'api gateway v2', service: 'apigatewayv2' },
  { words: 'cloudfront distribution', service: 'cloudfront', kind: 'noun' },
  { words: 'certificate manager', service: 'acm', implies: 'certificates' },
  { words: 'tls certificate', service: 'acm', kind: 'noun' },
  { words: 'ssl certificate', service: 'acm', kind: 'noun' },
  { words: 'kms key', service: 'kms', kind: 'noun' },
  { words: 'waf', service: 'wafv2' },
  { words: 'web acl', service: 'wafv2', kind: 'noun' },
  { words: 'elastic mapreduce', service: 'emr' },
  { words: 'emr serverless', service: 'emr-serverless' },
  { words: 'emr on eks', service: 'emr-containers' },
  { words: 'kubernetes', service: 'eks', implies: 'clusters' },
  { words: 'fargate', service: 'ecs', weak: true },
  { words: 'ecs service', service: 'ecs', kind: 'noun' },
  { words: 'task definition', service: 'ecs', kind: 'noun' },
  { words: 'container registry', service: 'ecr', implies: 'repositories' },
  { words: 'dynamo', service: 'dynamodb', implies: 'tables' },
  { words: 'dynamo db', service: 'dynamodb', implies: 'tables' },
  { words: 'aurora', service: 'rds' },
  { words: 'db instance', service: 'rds', kind: 'noun', weak: true },
  { words: 'db cluster', service: 'rds', kind: 'noun', weak: true },
  { words: 'documentdb', service: 'docdb' },
  { words: 'document db', service: 'docdb' },
  { words: 'beanstalk', service: 'elasticbeanstalk', implies: 'environments' },
  { words: 'elastic beanstalk', service: 'elasticbeanstalk', implies: 'environments' },
  { words: 'codedeploy', service: 'deploy' },
  { words: 'code deploy', service: 'deploy' },
  { words: 'aws config', service: 'configservice' },
  { words: 'config rule', service: 'configservice', kind: 'noun' },
  { words: 'guard duty', service: 'guardduty' },
  { words: 'security hub', service: 'securityhub' },
  { words: 'inspector', service: 'inspector2', weak: true },
  { words: 'macie', service: 'macie2' },
  { words: 'transfer family', service: 'transfer' },
  { words: 'sftp server', service: 'transfer', kind: 'noun' },
  { words: 'app runner', service: 'apprunner', implies: 'services' },
  { words: 'aws batch', service: 'batch' },
  { words: 'batch job', service: 'batch', kind: 'noun', weak: true },
  { words: 'job queue', service: 'batch', kind: 'noun' },
  { words: 'aws backup', service: 'backup' },
  { words: 'backup vault', service: 'backup', kind: 'noun' },
  { words: 'backup plan', service: 'backup', kind: 'noun' },
  { words: 'file system', service: 'efs', kind: 'noun', weak: true },
  { words: 'identity center', service: 'sso-admin' },
  { words: 'iam identity center', service: 'sso-admin' },
  { words: 'iam user', service: 'iam', kind: 'noun' },
  { words: 'iam role', service: 'iam', kind: 'noun' },
  { words: 'iam policy', service: 'iam', kind: 'noun' },
  { words: 'iam group', service: 'iam', kind: 'noun' },
  { words: 'access key', service: 'iam', kind: 'noun', weak: true },
  { words: 'caller identity', service: 'sts', kind: 'noun' },
  { words: 'ses', service: 'ses' },
  { words: 'simple email service', service: 'ses' },
  { words: 'amazon mq', service: 'mq', implies: 'brokers' },
  { words: 'x ray', service: 'xray' },
  { words: 'sns topic', service: 'sns', kind: 'noun' },
  { words: 'topic', service: 'sns', kind: 'noun', weak: true },
  { words: 'sqs queue', service: 'sqs', kind: 'noun' },
  { words: 'queue', service: 'sqs', kind: 'noun', weak: true },
  { words: 'lambda function', service: 'lambda', kind: 'noun' },
  { words: 'function', service: 'lambda', kind: 'noun', weak: true },
  { words: 'lambdas', service: 'lambda', implies: 'functions' },
  { words: 'ec2', service: 'ec2', implies: 'instances' },
  { words: 'ebs', service: 'ec2', implies: 'volumes' },
  { words: 'ebs volume', service: 'ec2', kind: 'noun' },
  { words: 'ebs snapshot', service: 'ec2', kind: 'noun' },
  { words: 'vpc', service: 'ec2', kind: 'noun' },
  { words: 'subnet', service: 'ec2', kind: 'noun' },
  { words: 'security group', service: 'ec2', kind: 'noun' },
  { words: 'key pair', service: 'ec2', kind: 'noun', weak: true },
  { words: 'elastic ip', service: 'ec2', kind: 'noun' },
  { words: 'nat gateway', service: 'ec2', kind: 'noun' },
  { words: 'internet gateway', service: 'ec2', kind: 'noun' },
  { words: 'transit gateway', service: 'ec2', kind: 'noun' },
  { words: 'route table', service: 'ec2', kind: 'noun' },
  { words: 'ami', service: 'ec2', kind: 'noun' },
  { words: 'volume', service: 'ec2', kind: 'noun', weak: true },
  { words: 'instance', service: 'ec2', kind: 'noun', weak: true },
  { words: 'server', service: 'ec2', kind: 'noun', weak: true },
  { words: 'vm', service: 'ec2', kind: 'noun', weak: true },
  { words: 'cloudformation stack', service: 'cloudformation', kind: 'noun' },
  { words: 'cfn', service: 'cloudformation', implies: 'stacks' },
  { words: 'stack', service: 'cloudformation', kind: 'noun', weak: true },
  { words: 'cost explorer', service: 'ce' },
  { words: 'quota', service: 'service-quotas', kind: 'noun', weak: true },
  { words: 'trusted advisor', service: 'support' },
  { words: 'cloud map', service: 'servicediscovery' },
  { words: 'app mesh', service: 'appmesh' },
  { words: 'airflow', service: 'mwaa', implies: 'environments' },
  { words: 'managed airflow', service: 'mwaa', implies: 'environments' },
  { words: 'prometheus', service: 'amp', implies: 'workspaces' },
  { words: 'managed prometheus', service: 'amp', implies: 'workspaces' },
  { words: 'grafana', service: 'grafana', implies: 'workspaces' },
  { words: 'opensearch serverless', service: 'opensearchserverless' },
  { words: 'private ca', service: 'acm-pca' },
  { words: 'cloudhsm', service: 'cloudhsmv2', implies: 'clusters' },
  { words: 'access analyzer', service: 'accessanalyzer', implies: 'analyzers' },
  { words: 'network firewall', service: 'network-firewall', implies: 'firewalls' },
  { words: 'firewall manager', service: 'fms' },
  { words: 'database migration service', service: 'dms' },
  { words: 'resource groups tagging', service: 'resourcegroupstaggingapi' },
  { words: 'tag editor', service: 'resourcegroupstaggingapi' },
  { words: 'bedrock', service: 'bedrock', implies: 'foundation models' },
  { words: 'lex', service: 'lexv2-models', implies: 'bots' },
  { words: 'iot core', service: 'iot' },
  { words: 'glue job', service: 'glue', kind: 'noun' },
  { words: 'glue crawler', service: 'glue', kind: 'noun' },
  { words: 'athena workgroup', service: 'athena', kind: 'noun' },
  { words: 'sagemaker endpoint', service: 'sagemaker', kind: 'noun' },
  { words: 'notebook instance', service: 'sagemaker', kind: 'noun' },
  { words: 'codecommit repository', service: 'codecommit', kind: 'noun' },
  { words: 'pipeline', service: 'codepipeline', kind: 'noun', weak: true },
  { words: 'build project', service: 'codebuild', kind: 'noun' },
  { words: 'trail', service: 'cloudtrail', kind: 'noun', weak: true },
  { words: 'timestream', service: 'timestream-write', implies: 'databases' },
  { words: 'keyspaces', service: 'keyspaces', implies: 'keyspaces' },
  { words: 'performance insights', service: 'pi' },
  { words: 'amazon connect', service: 'connect' },
  { words: 'security hub', service: 'securityhub', implies: 'hub' },
  { words: 'elastic file system', service: 'efs', implies: 'file systems' },
];

// Service names that are ordinary English (or too generic) to name a service on their own: they only count
// when the request names nothing stronger, and some not at all.
const WEAK_NAMES = new Set([
  'config',
  'support',
  'batch',
  'health',
  'backup',
  'transfer',
  'connect',
  'account',
  'location',
  'pricing',
  'budgets',
  'budget',
  'shield',
  'signer',
  'translate',
  'forecast',
  'personalize',
  'detective',
  'evidently',
  'discovery',
  'schemas',
  'schema',
  'outposts',
  'outpost',
  'panorama',
  'proton',
  'events',
  'event',
  'synthetics',
  'wisdom',
  'voice id',
  'snowball',
  'sms',
  'mobile',
  'rum',
  'oam',
  'scheduler',
  'pipes',
  'pi',
  'ds',
  'es',
  'ram',
  'mq',
  'ce',
  'cur',
  'mgn',
  'drs',
  'fis',
  'omics',
]);
const IGNORED_NAMES = new Set([
  'data',
  'service',
  'services',
  'api',
  'apis',
  'aws',
  'amazon',
  'cloud',
  'manager',
  'runtime',
  'identity',
  'storage',
  'elastic',
]);

function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** The words of a model name as people say them: "AWS Step Functions" → "step functions". */
function spokenNames(summary: ServiceSummary): string[] {
  const names = new Set<string>();
  const add = (text: string | undefined): void => {
    if (!text) return;
    const parenthetical = /\(([^)]+)\)/.exec(text)?.[1];
    if (parenthetical) add(parenthetical);
    const words = tokenize(text.replace(/\([^)]*\)/g, ' '));
    while (words.length > 1 && ['amazon', 'aws'].includes(words[0] as string)) words.shift();
    while (words.length > 1 && ['service', 'api', 'apis'].includes(words.at(-1) as string)) words.pop();
    if (words.length > 0) names.add(words.join(' '));
  };
  names.add(summary.cliName.replace(/-/g, ' '));
  add(summary.serviceId);
  add(summary.serviceAbbreviation);
  add(summary.serviceFullName);
  return [...names];
}

/** Key of a word sequence: its normalised words joined, so "route 53", "route53", "step-functions" agree. */
export function aliasKey(words: readonly string[]): string {
  return words.map(normalizeWord).join('');
}

export interface ServiceRecognizer {
  /** Every mention of a service in the (normalised, lower-case) tokens, longest first where they overlap. */
  findMentions(tokens: readonly string[]): ServiceMention[];
  /** The service the request is about: the first strong name, a strong resource noun, else a weak one. */
  pickService(mentions: readonly ServiceMention[]): ServiceMention | undefined;
  /** Whether the words name some service or one service's resource. */
  isKnownName(key: string): boolean;
  /** Whether the words are a service's own name (not a resource noun). */
  isServiceName(key: string): boolean;
}

const MAX_ALIAS_WORDS = 5;

export function createServiceRecognizer(summaries: readonly ServiceSummary[]): ServiceRecognizer {
  const known = new Set(summaries.map((s) => s.cliName));
  const aliases = new Map<string, AliasEntry>();
  const put = (words: string[], entry: AliasEntry): void => {
    const key = aliasKey(words);
    if (key === '' || IGNORED_NAMES.has(words.join(' '))) return;
    const existing = aliases.get(key);
    if (!existing || entry.rank < existing.rank) aliases.set(key, entry);
  };
  for (const alias of CURATED) {
    if (!known.has(alias.service)) continue;
    put(alias.words.split(' '), {
      service: alias.service,
      kind: alias.kind ?? 'name',
      // A one-word resource noun ("subnet", "queue") is shared by too many services to name one on its own.
      weak: alias.weak ?? (alias.kind === 'noun' && !alias.words.includes(' ')),
      impliedNouns: alias.implies ? alias.implies.split(' ') : [],
      rank: 0,
    });
  }
  for (const summary of summaries) {
    spokenNames(summary).forEach((name, index) => {
      const words = name.split(' ');
      put(words, {
        service: summary.cliName,
        kind: 'name',
        weak: WEAK_NAMES.has(name),
        impliedNouns: [],
        // The CLI name wins over another service's spoken name; shorter CLI names win ties (ses over sesv2).
        rank: 1 + Math.min(index, 1) + summary.cliName.length / 100,
      });
    });
  }

  function findMentions(tokens: readonly string[]): ServiceMention[] {
    const found: ServiceMention[] = [];
    let i = 0;
    while (i < tokens.length) {
      let matched: ServiceMention | undefined;
      for (let n = Math.min(MAX_ALIAS_WORDS, tokens.length - i); n >= 1 && !matched; n--) {
        const entry = aliases.get(aliasKey(tokens.slice(i, i + n)));
        if (entry) {
          matched = {
            service: entry.service,
            start: i,
            end: i + n,
            kind: entry.kind,
            weak: entry.weak,
            impliedNouns: entry.impliedNouns,
          };
        }
      }
      if (matched) {
        // "aws backup", "amazon connect": the vendor's name makes an ordinary word a service's name.
        if (matched.weak && matched.kind === 'name' && ['aws', 'amazon'].includes(tokens[i - 1] ?? '')) {
          matched = { ...matched, weak: false };
        }
        found.push(matched);
        i = matched.end;
      } else {
        i += 1;
      }
    }
    return found;
  }

  function pickService(mentions: readonly ServiceMention[]): ServiceMention | undefined {
    return mentions.find((m) => !m.weak) ?? mentions[0];
  }

  return {
    findMentions,
    pickService,
    isKnownName: (key) => aliases.has(key),
    isServiceName: (key) => aliases.get(key)?.kind === 'name',
  };
}
