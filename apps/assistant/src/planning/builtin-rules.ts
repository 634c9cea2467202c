import { InputError } from '@ashapp/platform';
import type { Plan } from './plan.ts';
import type { RequestFacts } from './request-text.ts';
import { findNameAfter } from './request-text.ts';

/** A plan before the region is filled in. */
export type Draft = Omit<Plan, 'region' | 'parameters'> & { parameters?: Record<string, unknown> };

export interface Rule {
  /** A request this rule understands; offered as a suggestion when nothing matches. */
  example: string;
  /** Every pattern must match the cleaned, lower-case request. */
  when: RegExp[];
  unless?: RegExp;
  /** The leading change verb this rule handles; read rules apply only when the request has none. */
  change?: string;
  build(facts: RequestFacts): Draft;
}

function need<T>(value: T | undefined, question: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new InputError(question);
  return value;
}

const EC2 = /\b(ec2|instances?|servers?|vms?|virtual machines?|machines?)\b/;
const NOT_EC2 =
  /\b(db|rds|database|aurora|containers?|ecs|eks|node ?groups?|profiles?|fargate|tasks?|types available|metrics?|cloudwatch|alarms?|logs?)\b/;
const TEXT = 'text' as const;
const TABLE = 'table' as const;

function instanceFilters(f: RequestFacts): Record<string, unknown> {
  const filters: { Name: string; Values: string[] }[] = [];
  if (f.state) filters.push({ Name: 'instance-state-name', Values: [f.state] });
  if (f.tag) filters.push({ Name: `tag:${f.tag.key}`, Values: [f.tag.value] });
  if (f.ids.vpc[0]) filters.push({ Name: 'vpc-id', Values: f.ids.vpc });
  const parameters: Record<string, unknown> = {};
  if (filters.length > 0) parameters['Filters'] = filters;
  if (f.ids.instance.length > 0) parameters['InstanceIds'] = f.ids.instance;
  return parameters;
}

function instances(f: RequestFacts, query?: string, output?: Plan['output']): Draft {
  const draft: Draft = { service: 'ec2', operation: 'describe-instances', parameters: instanceFilters(f) };
  if (query) draft.query = query;
  if (output) draft.output = output;
  return draft;
}

function instanceChange(operation: string): (f: RequestFacts) => Draft {
  return (f) => ({
    service: 'ec2',
    operation,
    parameters: {
      InstanceIds: need(
        f.ids.instance,
        `which instances? Name them by id, e.g. "${operation.split('-')[0]} instance i-0123456789abcdef0"`,
      ),
    },
  });
}

function named(f: RequestFacts, keywords: string[], question: string): string {
  return need(findNameAfter(f, keywords), question);
}

const list =
  (service: string, operation: string, extra: Partial<Draft> = {}) =>
  (): Draft => ({
    service,
    operation,
    ...extra,
  });

const INSTANCE_SUMMARY =
  "Reservations[].Instances[].{InstanceId:InstanceId,Name:Tags[?Key=='Name']|[0].Value,State:State.Name,Type:InstanceType,PrivateIp:PrivateIpAddress,PublicIp:PublicIpAddress}";

/**
 * The built-in rules, most specific first. Each names the operation from the AWS model directly; safety
 * is decided later from that operation, never from these words.
 */
export const BUILT_IN_RULES: readonly Rule[] = [
  // ---- STS ---------------------------------------------------------------------------------------
  {
    example: 'what is my account id',
    when: [/\baccount (id|number)\b/],
    build: () => ({ service: 'sts', operation: 'get-caller-identity', query: 'Account', output: TEXT }),
  },
  {
    example: 'who am i',
    when: [/\b(who ?am ?i|whoami|caller identity|my identity|my arn|current user|logged in as|sts)\b/],
    unless: /\biam users\b/,
    build: list('sts', 'get-caller-identity'),
  },

  // ---- EC2 instance changes ------------------------------------------------------------------------
  {
    example: 'start instance i-0123456789abcdef0',
    when: [EC2],
    unless: NOT_EC2,
    change: 'start',
    build: instanceChange('start-instances'),
  },
  {
    example: 'stop instance i-0123456789abcdef0',
    when: [EC2],
    unless: NOT_EC2,
    change: 'stop',
    build: instanceChange('stop-instances'),
  },
  {
    example: 'reboot instance i-0123456789abcdef0',
    when: [EC2],
    unless: NOT_EC2,
    change: 'reboot',
    build: instanceChange('reboot-instances'),
  },
  {
    example: 'terminate instance i-0123456789abcdef0',
    when: [EC2],
    unless: NOT_EC2,
    change: 'terminate',
    build: instanceChange('terminate-instances'),
  },
  {
    example: 'tag instance i-0123456789abcdef0 with Env=prod',
    when: [/\b(i-[0-9a-f]+|vol-|sg-|vpc-|subnet-|ami-|snap-)/],
    change: 'tag',
    build: (f) => {
      const resources = [
        ...f.ids.instance,
        ...f.ids.volume,
        ...f.ids.securityGroup,
        ...f.ids.vpc,
        ...f.ids.subnet,
        ...f.ids.image,
        ...f.ids.snapshot,
      ];
      const match = /\bwith\s+(?:tag\s+)?([A-Za-z0-9_.:/-]+?)\s*[=:]\s*(\S+)/i.exec(f.words.join(' '));
      const tag = need(
        match ? { Key: match[1] as string, Value: match[2] as string } : undefined,
        'which tag? e.g. "tag instance i-0123456789abcdef0 with Env=prod"',
      );
      return { service: 'ec2', operation: 'create-tags', parameters: { Resources: resources, Tags: [tag] } };
    },
  },

  // ---- EC2 reads (other resources before instances: "security groups of instances" is about groups) ----
  {
    example: 'list security groups',
    when: [/\bsecurity ?groups?\b|\bsgs?\b/],
    build: (f) => ({
      service: 'ec2',
      operation: 'describe-security-groups',
      parameters:
        f.ids.securityGroup.length > 0
          ? { GroupIds: f.ids.securityGroup }
          : f.ids.vpc.length > 0
            ? { Filters: [{ Name: 'vpc-id', Values: f.ids.vpc }] }
            : {},
      ...(f.counting
        ? { query: 'length(SecurityGroups)', output: TEXT }
        : f.ids.securityGroup.length > 0
          ? {}
          : {
              query: 'SecurityGroups[].{GroupId:GroupId,Name:GroupName,VpcId:VpcId,Description:Description}',
              output: TABLE,
            }),
    }),
  },
  {
    example: 'list unattached ebs volumes',
    when: [/\bvolumes?\b|\bebs\b/],
    unless: /\bsnapshots?\b/,
    build: (f) => {
      const parameters: Record<string, unknown> = {};
      if (f.ids.volume.length > 0) parameters['VolumeIds'] = f.ids.volume;
      else if (/\b(unattached|available|unused|detached)\b/.test(f.text))
        parameters['Filters'] = [{ Name: 'status', Values: ['available'] }];
      else if (f.ids.instance.length > 0)
        parameters['Filters'] = [{ Name: 'attachment.instance-id', Values: f.ids.instance }];
      if (f.counting)
        return {
          service: 'ec2',
          operation: 'describe-volumes',
          parameters,
          query: 'length(Volumes)',
          output: TEXT,
        };
      return { service: 'ec2', operation: 'describe-volumes', parameters };
    },
  },
  {
    example: 'list my ebs snapshots',
    when: [/\bsnapshots?\b/],
    unless: /\b(db|rds|database|aurora)\b/,
    build: (f) => ({
      service: 'ec2',
      operation: 'describe-snapshots',
      parameters: f.ids.snapshot.length > 0 ? { SnapshotIds: f.ids.snapshot } : { OwnerIds: ['self'] },
      ...(f.counting ? { query: 'length(Snapshots)', output: TEXT } : {}),
    }),
  },
  {
    example: 'list my amis',
    when: [/\b(amis?|machine images?|images)\b/],
    unless: /\b(ecr|repositor(y|ies)|docker|container|codebuild)\b/,
    build: (f) => ({
      service: 'ec2',
      operation: 'describe-images',
      parameters: f.ids.image.length > 0 ? { ImageIds: f.ids.image } : { Owners: ['self'] },
    }),
  },
  {
    example: 'list key pairs',
    when: [/\bkey ?pairs?\b|\bssh keys?\b/],
    build: list('ec2', 'describe-key-pairs'),
  },
  {
    example: 'list elastic ips',
    when: [/\belastic ips?\b|\beips?\b|\belastic ip addresses\b/],
    build: list('ec2', 'describe-addresses'),
  },
  {
    example: 'list subnets in vpc-0123456789abcdef0',
    when: [/\bsubnets?\b/],
    unless: /\b(db|rds)\b/,
    build: (f) => ({
      service: 'ec2',
      operation: 'describe-subnets',
      parameters:
        f.ids.subnet.length > 0
          ? { SubnetIds: f.ids.subnet }
          : f.ids.vpc.length > 0
            ? { Filters: [{ Name: 'vpc-id', Values: f.ids.vpc }] }
            : {},
      ...(f.counting ? { query: 'length(Subnets)', output: TEXT } : {}),
    }),
  },
  { example: 'list route tables', when: [/\broute ?tables?\b/], build: list('ec2', 'describe-route-tables') },
  {
    example: 'list internet gateways',
    when: [/\binternet gateways?\b|\bigws?\b/],
    build: list('ec2', 'describe-internet-gateways'),
  },
  { example: 'list nat gateways', when: [/\bnat gateways?\b/], build: list('ec2', 'describe-nat-gateways') },
  {
    example: 'list network interfaces',
    when: [/\bnetwork interfaces?\b|\benis?\b/],
    build: list('ec2', 'describe-network-interfaces'),
  },
  {
    example: 'list network acls',
    when: [/\b(network )?acls?\b/],
    unless: /\bs3|bucket|waf\b/,
    build: list('ec2', 'describe-network-acls'),
  },
  {
    example: 'list vpc endpoints',
    when: [/\bvpc endpoints?\b/],
    build: list('ec2', 'describe-vpc-endpoints'),
  },
  {
    example: 'list vpc peering connections',
    when: [/\bpeering\b/],
    build: list('ec2', 'describe-vpc-peering-connections'),
  },
  {
    example: 'list launch templates',
    when: [/\blaunch templates?\b/],
    build: list('ec2', 'describe-launch-templates'),
  },
  {
    example: 'list availability zones',
    when: [/\bavailability zones?\b|\bazs\b/],
    build: list('ec2', 'describe-availability-zones'),
  },
  {
    example: 'list regions',
    when: [/\bregions\b/],
    unless: /\bbuckets?\b/,
    build: list('ec2', 'describe-regions', { query: 'Regions[].RegionName', output: TEXT }),
  },
  {
    example: 'show the default vpc',
    when: [/\bdefault vpc\b/],
    build: list('ec2', 'describe-vpcs', {
      parameters: { Filters: [{ Name: 'is-default', Values: ['true'] }] },
    }),
  },
  {
    example: 'list vpcs',
    when: [/\bvpcs?\b(?!-)/],
    build: (f) => ({
      service: 'ec2',
      operation: 'describe-vpcs',
      parameters: f.ids.vpc.length > 0 ? { VpcIds: f.ids.vpc } : {},
      ...(f.counting
        ? { query: 'length(Vpcs)', output: TEXT }
        : f.ids.vpc.length > 0
          ? {}
          : { query: 'Vpcs[].{VpcId:VpcId,Cidr:CidrBlock,Default:IsDefault,State:State}', output: TABLE }),
    }),
  },

  // ---- EC2 instances -------------------------------------------------------------------------------
  {
    example: 'how many ec2 instances are running',
    when: [EC2, /\b(how many|count|number of|total number)\b/],
    unless: NOT_EC2,
    build: (f) => instances(f, 'length(Reservations[].Instances[])', TEXT),
  },
  {
    example: 'list ec2 instance ids',
    when: [EC2, /\bids?\b/],
    unless: NOT_EC2,
    build: (f) => instances(f, 'Reservations[].Instances[].InstanceId', TEXT),
  },
  {
    example: 'list ec2 instances names',
    when: [EC2, /\bnames?\b/],
    unless: NOT_EC2,
    build: (f) =>
      instances(
        f,
        "Reservations[].Instances[].{InstanceId:InstanceId,Name:Tags[?Key=='Name']|[0].Value}",
        TABLE,
      ),
  },
  {
    example: 'show public ips of my instances',
    when: [EC2, /\bpublic (ips?|ip addresses|addresses)\b/],
    unless: NOT_EC2,
    build: (f) =>
      instances(f, 'Reservations[].Instances[].{InstanceId:InstanceId,PublicIp:PublicIpAddress}', TABLE),
  },
  {
    example: 'show private ips of my instances',
    when: [EC2, /\bprivate (ips?|ip addresses|addresses)\b/],
    unless: NOT_EC2,
    build: (f) =>
      instances(f, 'Reservations[].Instances[].{InstanceId:InstanceId,PrivateIp:PrivateIpAddress}', TABLE),
  },
  {
    example: 'show instance types of my instances',
    when: [EC2, /\b(instance )?types?\b/],
    unless: NOT_EC2,
    build: (f) => instances(f, 'Reservations[].Instances[].{InstanceId:InstanceId,Type:InstanceType}', TABLE),
  },
  {
    example: 'describe instance i-0123456789abcdef0',
    when: [/\bi-[0-9a-f]{8,17}\b/],
    build: (f) => instances(f),
  },
  {
    example: 'list running ec2 instances',
    when: [EC2],
    unless: NOT_EC2,
    build: (f) => instances(f, INSTANCE_SUMMARY, TABLE),
  },

  // ---- S3 --------------------------------------------------------------------------------------------
  {
    example: 'create bucket my-bucket',
    when: [/\bbuckets?\b/],
    change: 'create',
    build: (f) => ({
      service: 's3api',
      operation: 'create-bucket',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket? e.g. "create bucket my-bucket"') },
    }),
  },
  {
    example: 'delete bucket my-bucket',
    when: [/\bbuckets?\b/],
    change: 'delete',
    build: (f) => ({
      service: 's3api',
      operation: 'delete-bucket',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket? e.g. "delete bucket my-bucket"') },
    }),
  },
  {
    example: 'how many s3 buckets do i have',
    when: [/\b(s3|buckets?)\b/, /\b(how many|count|number of)\b/],
    unless: /\bobjects?|files?|keys?\b/,
    build: list('s3api', 'list-buckets', { query: 'length(Buckets)', output: TEXT }),
  },
  {
    example: 'list objects in bucket my-bucket',
    when: [/\b(objects?|files?|keys|contents?)\b/, /\b(buckets?|s3)\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'list-objects-v2',
      parameters: {
        Bucket: named(f, ['bucket', 'in', 'of'], 'which bucket? e.g. "list objects in bucket my-bucket"'),
      },
      ...(f.counting ? { query: 'KeyCount', output: TEXT } : {}),
    }),
  },
  {
    example: 'where is bucket my-bucket located',
    when: [/\bbucket\b/, /\b(location|region|located|where)\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-location',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'show the policy of bucket my-bucket',
    when: [/\bbucket\b/, /\bpolicy\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-policy',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'is versioning enabled on bucket my-bucket',
    when: [/\bbucket\b/, /\bversioning\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-versioning',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'show encryption of bucket my-bucket',
    when: [/\bbucket\b/, /\bencryption\b|\bencrypted\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-encryption',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'show tags of bucket my-bucket',
    when: [/\bbucket\b/, /\btags?\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-tagging',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'list s3 bucket names',
    when: [/\b(s3|buckets?)\b/, /\bnames?\b/],
    build: list('s3api', 'list-buckets', { query: 'Buckets[].Name', output: TEXT }),
  },
  { example: 'list s3 buckets', when: [/\b(s3|buckets?)\b/], build: list('s3api', 'list-buckets') },

  // ---- IAM -------------------------------------------------------------------------------------------
  {
    example: 'create iam user alice',
    when: [/\busers?\b/],
    change: 'create',
    build: (f) => ({
      service: 'iam',
      operation: 'create-user',
      parameters: { UserName: named(f, ['user'], 'which user name? e.g. "create iam user alice"') },
    }),
  },
  {
    example: 'delete iam user alice',
    when: [/\busers?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'iam',
      operation: 'delete-user',
      parameters: { UserName: named(f, ['user'], 'which user?') },
    }),
  },
  {
    example: 'create iam group developers',
    when: [/\biam\b/, /\bgroups?\b/],
    change: 'create',
    build: (f) => ({
      service: 'iam',
      operation: 'create-group',
      parameters: { GroupName: named(f, ['group'], 'which group name?') },
    }),
  },
  {
    example: 'delete iam group developers',
    when: [/\biam\b/, /\bgroups?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'iam',
      operation: 'delete-group',
      parameters: { GroupName: named(f, ['group'], 'which group?') },
    }),
  },
  {
    example: 'delete iam role my-role',
    when: [/\broles?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'iam',
      operation: 'delete-role',
      parameters: { RoleName: named(f, ['role'], 'which role?') },
    }),
  },
  {
    example: 'list policies attached to role my-role',
    when: [/\bpolic(y|ies)\b/, /\brole\b/],
    build: (f) => ({
      service: 'iam',
      operation: 'list-attached-role-policies',
      parameters: { RoleName: named(f, ['role'], 'which role?') },
    }),
  },
  {
    example: 'list policies attached to user alice',
    when: [/\bpolic(y|ies)\b/, /\buser\b/],
    build: (f) => ({
      service: 'iam',
      operation: 'list-attached-user-policies',
      parameters: { UserName: named(f, ['user'], 'which user?') },
    }),
  },
  {
    example: 'list access keys for user alice',
    when: [/\baccess keys?\b/],
    build: (f) => {
      const user = findNameAfter(f, ['user', 'for']);
      return { service: 'iam', operation: 'list-access-keys', parameters: user ? { UserName: user } : {} };
    },
  },
  {
    example: 'list groups for user alice',
    when: [/\bgroups\b/, /\b(for|of) user\b/],
    build: (f) => ({
      service: 'iam',
      operation: 'list-groups-for-user',
      parameters: { UserName: named(f, ['user'], 'which user?') },
    }),
  },
  { example: 'list mfa devices', when: [/\bmfa\b/], build: list('iam', 'list-mfa-devices') },
  {
    example: 'show the iam account summary',
    when: [/\baccount summary\b/],
    build: list('iam', 'get-account-summary'),
  },
  {
    example: 'show the password policy',
    when: [/\bpassword policy\b/],
    build: list('iam', 'get-account-password-policy'),
  },
  {
    example: 'list instance profiles',
    when: [/\binstance profiles?\b/],
    build: list('iam', 'list-instance-profiles'),
  },
  {
    example: 'list my customer managed iam policies',
    when: [/\b(iam )?polic(y|ies)\b/],
    unless: /\b(bucket|s3|sqs|queue|topic|password)\b/,
    build: (f) => ({
      service: 'iam',
      operation: 'list-policies',
      parameters: /\b(aws managed|all)\b/.test(f.text) ? { Scope: 'All' } : { Scope: 'Local' },
      ...(f.counting
        ? { query: 'length(Policies)', output: TEXT }
        : { query: 'Policies[].{Name:PolicyName,Arn:Arn,Attachments:AttachmentCount}', output: TABLE }),
    }),
  },
  {
    example: 'show iam role my-role',
    when: [/\b(describe|show|get|details)\b/, /\brole [A-Za-z0-9_+=,.@-]+/],
    unless: /\broles\b/,
    build: (f) => ({
      service: 'iam',
      operation: 'get-role',
      parameters: { RoleName: named(f, ['role'], 'which role?') },
    }),
  },
  {
    example: 'list iam roles',
    when: [/\broles?\b/],
    unless: /\bservice roles? for\b/,
    build: (f) =>
      f.counting
        ? { service: 'iam', operation: 'list-roles', query: 'length(Roles)', output: TEXT }
        : {
            service: 'iam',
            operation: 'list-roles',
            query: 'Roles[].{Name:RoleName,Arn:Arn,Created:CreateDate}',
            output: TABLE,
          },
  },
  {
    example: 'list iam groups',
    when: [/\biam\b|\bgroups\b/, /\bgroups?\b/],
    unless: /\b(log|security|resource|auto ?scaling|node|subnet|parameter|target)\b/,
    build: list('iam', 'list-groups'),
  },
  {
    example: 'show iam user alice',
    when: [/\b(describe|show|get|details)\b/, /\buser [A-Za-z0-9_+=,.@-]+/],
    unless: /\busers\b|\b(for|of) user\b/,
    build: (f) => ({
      service: 'iam',
      operation: 'get-user',
      parameters: { UserName: named(f, ['user'], 'which user?') },
    }),
  },
  {
    example: 'list iam users',
    when: [/\b(iam )?users\b|\biam user\b/],
    build: (f) =>
      f.counting
        ? { service: 'iam', operation: 'list-users', query: 'length(Users)', output: TEXT }
        : /\bnames?\b/.test(f.text)
          ? { service: 'iam', operation: 'list-users', query: 'Users[].UserName', output: TEXT }
          : { service: 'iam', operation: 'list-users' },
  },

  // ---- CloudWatch Logs ---------------------------------------------------------------------------------
  {
    example: 'create log group /app/web',
    when: [/\blog groups?\b/],
    change: 'create',
    build: (f) => ({
      service: 'logs',
      operation: 'create-log-group',
      parameters: { logGroupName: named(f, ['group'], 'which log group name?') },
    }),
  },
  {
    example: 'delete log group /app/web',
    when: [/\blog groups?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'logs',
      operation: 'delete-log-group',
      parameters: { logGroupName: named(f, ['group'], 'which log group?') },
    }),
  },
  {
    example: 'list log streams in log group /aws/lambda/my-function',
    when: [/\blog streams?\b|\bstreams\b/],
    build: (f) => ({
      service: 'logs',
      operation: 'describe-log-streams',
      parameters: {
        logGroupName: named(f, ['group'], 'which log group?'),
        orderBy: 'LastEventTime',
        descending: true,
      },
    }),
  },
  {
    example: 'search log group /aws/lambda/my-function for ERROR',
    when: [/\b(search|find|grep|filter)\b/, /\blog group\b|\blogs\b/],
    build: (f) => {
      const pattern = /\bfor\s+(?:"([^"]+)"|'([^']+)'|(\S+))/.exec(f.words.join(' '));
      const parameters: Record<string, unknown> = {
        logGroupName: named(f, ['group'], 'which log group?'),
        limit: 100,
      };
      const value = pattern ? (pattern[1] ?? pattern[2] ?? pattern[3]) : undefined;
      if (value) parameters['filterPattern'] = value;
      return { service: 'logs', operation: 'filter-log-events', parameters };
    },
  },
  {
    example: 'show recent events in log group /aws/lambda/my-function',
    when: [/\b(events|logs|entries|messages)\b/, /\blog group [^\s]+|\bgroup \/[^\s]+/],
    build: (f) => ({
      service: 'logs',
      operation: 'filter-log-events',
      parameters: { logGroupName: named(f, ['group'], 'which log group?'), limit: 100 },
    }),
  },
  {
    example: 'list metric filters',
    when: [/\bmetric filters?\b/],
    build: list('logs', 'describe-metric-filters'),
  },
  {
    example: 'list logs insights queries',
    when: [/\binsights queries\b|\blog queries\b/],
    build: list('logs', 'describe-queries'),
  },
  {
    example: 'list cloudwatch log groups',
    when: [/\blog ?groups?\b|\bcloudwatch logs\b/],
    build: (f) =>
      f.counting
        ? { service: 'logs', operation: 'describe-log-groups', query: 'length(logGroups)', output: TEXT }
        : {
            service: 'logs',
            operation: 'describe-log-groups',
            query: 'logGroups[].logGroupName',
            output: TEXT,
          },
  },

  // ---- Lambda ----------------------------------------------------------------------------------------
  {
    example: 'delete lambda function my-function',
    when: [/\b(lambda|functions?)\b/],
    change: 'delete',
    build: (f) => ({
      service: 'lambda',
      operation: 'delete-function',
      parameters: { FunctionName: named(f, ['function', 'lambda'], 'which function?') },
    }),
  },
  {
    example: 'list versions of function my-function',
    when: [/\bversions?\b/, /\bfunction\b/],
    build: (f) => ({
      service: 'lambda',
      operation: 'list-versions-by-function',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  {
    example: 'list aliases of function my-function',
    when: [/\baliases?\b/, /\bfunction\b/],
    build: (f) => ({
      service: 'lambda',
      operation: 'list-aliases',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  {
    example: 'show the configuration of lambda function my-function',
    when: [
      /\b(configuration|config|settings|runtime|env(ironment)?( variables)?)\b/,
      /\bfunction [A-Za-z0-9_:.-]+/,
    ],
    build: (f) => ({
      service: 'lambda',
      operation: 'get-function-configuration',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  { example: 'list lambda layers', when: [/\blayers?\b/], build: list('lambda', 'list-layers') },
  {
    example: 'list lambda event source mappings',
    when: [/\bevent source mappings?\b|\btriggers\b/],
    build: list('lambda', 'list-event-source-mappings'),
  },
  {
    example: 'how many lambda functions do i have',
    when: [/\b(lambdas?|functions)\b/, /\b(how many|count|number of)\b/],
    build: list('lambda', 'list-functions', { query: 'length(Functions)', output: TEXT }),
  },
  {
    example: 'list lambda function names',
    when: [/\b(lambdas?|functions)\b/, /\bnames?\b/],
    build: list('lambda', 'list-functions', { query: 'Functions[].FunctionName', output: TEXT }),
  },
  {
    example: 'describe lambda function my-function',
    when: [/\b(lambda )?function [A-Za-z0-9_:.-]+/],
    unless: /\bfunctions\b/,
    build: (f) => ({
      service: 'lambda',
      operation: 'get-function',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  {
    example: 'list lambda functions',
    when: [/\b(lambdas?|functions?|serverless)\b/],
    build: list('lambda', 'list-functions', {
      query: 'Functions[].{Name:FunctionName,Runtime:Runtime,Memory:MemorySize,Modified:LastModified}',
      output: TABLE,
    }),
  },

  // ---- RDS -------------------------------------------------------------------------------------------
  ...(['start', 'stop', 'reboot'] as const).map((verb): Rule => ({
    example: `${verb} db instance my-db`,
    when: [/\b(db|rds|database)\b/],
    change: verb,
    build: (f) => ({
      service: 'rds',
      operation: `${verb}-db-instance`,
      parameters: {
        DBInstanceIdentifier: named(
          f,
          ['instance', 'database', 'db', 'rds'],
          `which database? e.g. "${verb} db instance my-db"`,
        ),
      },
    }),
  })),
  {
    example: 'list rds snapshots',
    when: [/\b(db|rds|database)\b/, /\bsnapshots?\b/],
    build: list('rds', 'describe-db-snapshots'),
  },
  {
    example: 'list aurora clusters',
    when: [/\b(db|rds|database|aurora)\b/, /\bclusters?\b/],
    build: list('rds', 'describe-db-clusters'),
  },
  {
    example: 'list db subnet groups',
    when: [/\b(db|rds)\b/, /\bsubnet groups?\b/],
    build: list('rds', 'describe-db-subnet-groups'),
  },
  {
    example: 'list db parameter groups',
    when: [/\b(db|rds)\b/, /\bparameter groups?\b/],
    build: list('rds', 'describe-db-parameter-groups'),
  },
  {
    example: 'how many rds databases do i have',
    when: [/\b(db|rds|databases?)\b/, /\b(how many|count|number of)\b/],
    build: list('rds', 'describe-db-instances', { query: 'length(DBInstances)', output: TEXT }),
  },
  {
    example: 'describe db instance my-db',
    when: [/\b(db|rds|database) instance [A-Za-z0-9-]+/],
    unless: /\binstances\b/,
    build: (f) => ({
      service: 'rds',
      operation: 'describe-db-instances',
      parameters: { DBInstanceIdentifier: named(f, ['instance'], 'which database?') },
    }),
  },
  {
    example: 'list rds instances',
    when: [/\b(db|rds|databases?|aurora|mysql|postgres(ql)?)\b/],
    unless: /\b(dynamo|dynamodb)\b/,
    build: list('rds', 'describe-db-instances', {
      query:
        'DBInstances[].{Id:DBInstanceIdentifier,Engine:Engine,Class:DBInstanceClass,Status:DBInstanceStatus}',
      output: TABLE,
    }),
  },

  // ---- CloudWatch ------------------------------------------------------------------------------------
  {
    example: 'delete alarm high-cpu',
    when: [/\balarms?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'cloudwatch',
      operation: 'delete-alarms',
      parameters: { AlarmNames: [named(f, ['alarm'], 'which alarm?')] },
    }),
  },
  {
    example: 'list alarms in alarm state',
    when: [/\balarms?\b/, /\b(in alarm|firing|triggered|alarming|active)\b/],
    build: list('cloudwatch', 'describe-alarms', { parameters: { StateValue: 'ALARM' } }),
  },
  {
    example: 'how many cloudwatch alarms are there',
    when: [/\balarms?\b/, /\b(how many|count|number of)\b/],
    build: list('cloudwatch', 'describe-alarms', { query: 'length(MetricAlarms)', output: TEXT }),
  },
  {
    example: 'list cloudwatch alarms',
    when: [/\balarms?\b/],
    build: list('cloudwatch', 'describe-alarms', {
      query: 'MetricAlarms[].{Name:AlarmName,State:StateValue,Metric:MetricName}',
      output: TABLE,
    }),
  },
  {
    example: 'list cloudwatch dashboards',
    when: [/\bdashboards?\b/],
    build: list('cloudwatch', 'list-dashboards'),
  },
  {
    example: 'list cloudwatch metrics for AWS/EC2',
    when: [/\bmetrics?\b/],
    build: (f) => {
      const namespace = /\b(AWS\/[A-Za-z0-9]+)\b/i.exec(f.words.join(' '))?.[1];
      return {
        service: 'cloudwatch',
        operation: 'list-metrics',
        parameters: namespace ? { Namespace: namespace.replace(/^aws/i, 'AWS') } : {},
      };
    },
  },

  // ---- CloudFormation --------------------------------------------------------------------------------
  {
    example: 'delete stack my-stack',
    when: [/\bstacks?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'cloudformation',
      operation: 'delete-stack',
      parameters: { StackName: named(f, ['stack'], 'which stack?') },
    }),
  },
  {
    example: 'show outputs of stack my-stack',
    when: [/\boutputs?\b/, /\bstack\b/],
    build: (f) => ({
      service: 'cloudformation',
      operation: 'describe-stacks',
      parameters: { StackName: named(f, ['stack'], 'which stack?') },
      query: 'Stacks[0].Outputs',
      output: TABLE,
    }),
  },
  {
    example: 'list resources in stack my-stack',
    when: [/\bresources\b/, /\bstack\b/],
    build: (f) => ({
      service: 'cloudformation',
      operation: 'list-stack-resources',
      parameters: { StackName: named(f, ['stack'], 'which stack?') },
    }),
  },
  {
    example: 'show events of stack my-stack',
    when: [/\bevents\b/, /\bstack\b/],
    build: (f) => ({
      service: 'cloudformation',
      operation: 'describe-stack-events',
      parameters: { StackName: named(f, ['stack'], 'which stack?') },
    }),
  },
  {
    example: 'list cloudformation exports',
    when: [/\bexports\b/],
    build: list('cloudformation', 'list-exports'),
  },
  {
    example: 'list stack sets',
    when: [/\bstack ?sets?\b/],
    build: list('cloudformation', 'list-stack-sets'),
  },
  {
    example: 'describe stack my-stack',
    when: [/\bstack [A-Za-z0-9-]+/],
    unless: /\bstacks\b|\bstack (set|sets)\b/,
    build: (f) => ({
      service: 'cloudformation',
      operation: 'describe-stacks',
      parameters: { StackName: named(f, ['stack'], 'which stack?') },
    }),
  },
  {
    example: 'list cloudformation stacks',
    when: [/\b(cloudformation|cfn|stacks?)\b/],
    build: (f) =>
      f.counting
        ? { service: 'cloudformation', operation: 'describe-stacks', query: 'length(Stacks)', output: TEXT }
        : {
            service: 'cloudformation',
            operation: 'describe-stacks',
            query: 'Stacks[].{Name:StackName,Status:StackStatus,Created:CreationTime}',
            output: TABLE,
          },
  },

  // ---- ECS -------------------------------------------------------------------------------------------
  {
    example: 'scale ecs service web in cluster prod to 3',
    when: [/\bservice\b/],
    change: 'scale',
    build: (f) => ({
      service: 'ecs',
      operation: 'update-service',
      parameters: {
        cluster: named(f, ['cluster'], 'which cluster? e.g. "scale ecs service web in cluster prod to 3"'),
        service: named(f, ['service'], 'which service?'),
        desiredCount: need(f.numbers.at(-1), 'to how many tasks? e.g. "... to 3"'),
      },
    }),
  },
  {
    example: 'list services in ecs cluster prod',
    when: [/\becs\b|\bcluster\b/, /\bservices\b/],
    unless: /\beks\b/,
    build: (f) => ({
      service: 'ecs',
      operation: 'list-services',
      parameters: { cluster: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list tasks in ecs cluster prod',
    when: [/\becs\b|\bcluster\b/, /\btasks\b/],
    unless: /\beks\b/,
    build: (f) => ({
      service: 'ecs',
      operation: 'list-tasks',
      parameters: { cluster: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list ecs task definitions',
    when: [/\btask definitions?\b|\btask defs?\b/],
    build: list('ecs', 'list-task-definitions'),
  },
  {
    example: 'describe ecs cluster prod',
    when: [/\becs\b/, /\bcluster [A-Za-z0-9_-]+/],
    unless: /\bclusters\b/,
    build: (f) => ({
      service: 'ecs',
      operation: 'describe-clusters',
      parameters: { clusters: [named(f, ['cluster'], 'which cluster?')] },
    }),
  },
  {
    example: 'list ecs clusters',
    when: [/\becs\b|\bcontainer service\b/],
    build: list('ecs', 'list-clusters'),
  },

  // ---- EKS -------------------------------------------------------------------------------------------
  {
    example: 'list node groups in eks cluster prod',
    when: [/\bnode ?groups?\b/],
    build: (f) => ({
      service: 'eks',
      operation: 'list-nodegroups',
      parameters: { clusterName: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list addons in eks cluster prod',
    when: [/\badd-?ons?\b/],
    build: (f) => ({
      service: 'eks',
      operation: 'list-addons',
      parameters: { clusterName: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list fargate profiles in eks cluster prod',
    when: [/\bfargate profiles?\b/],
    build: (f) => ({
      service: 'eks',
      operation: 'list-fargate-profiles',
      parameters: { clusterName: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'describe eks cluster prod',
    when: [/\b(eks|kubernetes|k8s)\b/, /\bcluster [A-Za-z0-9_-]+/],
    unless: /\bclusters\b/,
    build: (f) => ({
      service: 'eks',
      operation: 'describe-cluster',
      parameters: { name: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  { example: 'list eks clusters', when: [/\b(eks|kubernetes|k8s)\b/], build: list('eks', 'list-clusters') },

  // ---- ECR -------------------------------------------------------------------------------------------
  {
    example: 'create ecr repository my-app',
    when: [/\b(ecr|repositor(y|ies)|repo)\b/],
    change: 'create',
    build: (f) => ({
      service: 'ecr',
      operation: 'create-repository',
      parameters: { repositoryName: named(f, ['repository', 'repo'], 'which repository name?') },
    }),
  },
  {
    example: 'delete ecr repository my-app',
    when: [/\b(ecr|repositor(y|ies)|repo)\b/],
    change: 'delete',
    build: (f) => ({
      service: 'ecr',
      operation: 'delete-repository',
      parameters: { repositoryName: named(f, ['repository', 'repo'], 'which repository?') },
    }),
  },
  {
    example: 'list images in ecr repository my-app',
    when: [/\b(images?|tags)\b/, /\b(ecr|repositor(y|ies)|repo)\b/],
    build: (f) => ({
      service: 'ecr',
      operation: 'describe-images',
      parameters: { repositoryName: named(f, ['repository', 'repo'], 'which repository?') },
    }),
  },
  {
    example: 'list ecr repositories',
    when: [/\b(ecr|container registry|docker repositor(y|ies)|repositories)\b/],
    build: list('ecr', 'describe-repositories', {
      query: 'repositories[].{Name:repositoryName,Uri:repositoryUri}',
      output: TABLE,
    }),
  },

  // ---- DynamoDB --------------------------------------------------------------------------------------
  {
    example: 'delete dynamodb table orders',
    when: [/\b(dynamo|dynamodb|table)\b/],
    change: 'delete',
    build: (f) => ({
      service: 'dynamodb',
      operation: 'delete-table',
      parameters: { TableName: named(f, ['table'], 'which table?') },
    }),
  },
  {
    example: 'scan dynamodb table orders',
    when: [/\b(scan|items|rows|records)\b/, /\btable\b/],
    build: (f) => ({
      service: 'dynamodb',
      operation: 'scan',
      parameters: { TableName: named(f, ['table'], 'which table?'), Limit: 25 },
    }),
  },
  {
    example: 'list dynamodb backups',
    when: [/\b(dynamo|dynamodb)\b/, /\bbackups?\b/],
    build: list('dynamodb', 'list-backups'),
  },
  {
    example: 'describe dynamodb table orders',
    when: [/\btable [A-Za-z0-9_.-]+/],
    unless: /\btables\b|\broute tables?\b/,
    build: (f) => ({
      service: 'dynamodb',
      operation: 'describe-table',
      parameters: { TableName: named(f, ['table'], 'which table?') },
    }),
  },
  {
    example: 'list dynamodb tables',
    when: [/\b(dynamo|dynamodb|tables)\b/],
    build: (f) =>
      f.counting
        ? { service: 'dynamodb', operation: 'list-tables', query: 'length(TableNames)', output: TEXT }
        : { service: 'dynamodb', operation: 'list-tables' },
  },

  // ---- SNS -------------------------------------------------------------------------------------------
  {
    example: 'create sns topic alerts',
    when: [/\btopics?\b/],
    change: 'create',
    build: (f) => ({
      service: 'sns',
      operation: 'create-topic',
      parameters: { Name: named(f, ['topic'], 'which topic name?') },
    }),
  },
  {
    example: 'delete sns topic arn:aws:sns:us-east-1:123456789012:alerts',
    when: [/\btopics?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'sns',
      operation: 'delete-topic',
      parameters: { TopicArn: need(f.arns[0], 'which topic? Give its ARN') },
    }),
  },
  {
    example: 'list subscriptions for topic arn:aws:sns:us-east-1:123456789012:alerts',
    when: [/\bsubscriptions?\b/, /\barn:aws[a-z-]*:sns:/],
    build: (f) => ({
      service: 'sns',
      operation: 'list-subscriptions-by-topic',
      parameters: { TopicArn: f.arns[0] },
    }),
  },
  {
    example: 'list sns subscriptions',
    when: [/\bsubscriptions?\b/],
    build: list('sns', 'list-subscriptions'),
  },
  { example: 'list sns topics', when: [/\b(sns|topics)\b/], build: list('sns', 'list-topics') },

  // ---- SQS -------------------------------------------------------------------------------------------
  {
    example: 'create sqs queue jobs',
    when: [/\bqueues?\b/],
    change: 'create',
    build: (f) => ({
      service: 'sqs',
      operation: 'create-queue',
      parameters: { QueueName: named(f, ['queue'], 'which queue name?') },
    }),
  },
  {
    example: 'delete queue https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
    when: [/\bqueues?\b/],
    change: 'delete',
    build: (f) => ({
      service: 'sqs',
      operation: 'delete-queue',
      parameters: { QueueUrl: need(f.urls[0], 'which queue? Give its URL') },
    }),
  },
  {
    example: 'purge queue https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
    when: [/\bqueues?\b/],
    change: 'purge',
    build: (f) => ({
      service: 'sqs',
      operation: 'purge-queue',
      parameters: { QueueUrl: need(f.urls[0], 'which queue? Give its URL') },
    }),
  },
  {
    example: 'show attributes of queue https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
    when: [/\bqueue\b/, /\bhttps:\/\/sqs\./],
    build: (f) => ({
      service: 'sqs',
      operation: 'get-queue-attributes',
      parameters: { QueueUrl: f.urls[0], AttributeNames: ['All'] },
    }),
  },
  {
    example: 'get the url of queue jobs',
    when: [/\burl\b/, /\bqueue\b/],
    build: (f) => ({
      service: 'sqs',
      operation: 'get-queue-url',
      parameters: { QueueName: named(f, ['queue'], 'which queue?') },
    }),
  },
  {
    example: 'list sqs queues',
    when: [/\b(sqs|queues)\b/],
    build: (f) => {
      const prefix = /\b(?:starting with|prefix(?:ed)?(?: with)?)\s+(\S+)/.exec(f.words.join(' '))?.[1];
      return {
        service: 'sqs',
        operation: 'list-queues',
        parameters: prefix ? { QueueNamePrefix: prefix } : {},
      };
    },
  },

  // ---- Route 53 --------------------------------------------------------------------------------------
  {
    example: 'list dns records in hosted zone Z0123456789ABCDEFGHIJ',
    when: [/\b(records?|record sets?|dns entries)\b/],
    build: (f) => ({
      service: 'route53',
      operation: 'list-resource-record-sets',
      parameters: {
        HostedZoneId: need(f.ids.hostedZone[0], 'which hosted zone? Give its id, e.g. Z0123456789ABCDEFGHIJ'),
      },
    }),
  },
  {
    example: 'list route53 health checks',
    when: [/\bhealth ?checks?\b/],
    build: list('route53', 'list-health-checks'),
  },
  {
    example: 'how many hosted zones do i have',
    when: [/\b(hosted zones?|route ?53|dns zones?|domains)\b/, /\b(how many|count|number of)\b/],
    build: list('route53', 'list-hosted-zones', { query: 'length(HostedZones)', output: TEXT }),
  },
  {
    example: 'list route53 hosted zones',
    when: [/\b(hosted zones?|route ?53|dns zones?|dns)\b/],
    build: list('route53', 'list-hosted-zones'),
  },

  // ---- CodeBuild -------------------------------------------------------------------------------------
  {
    example: 'start a build for codebuild project my-project',
    when: [/\b(build|codebuild)\b/],
    change: 'start',
    build: (f) => ({
      service: 'codebuild',
      operation: 'start-build',
      parameters: {
        projectName: named(
          f,
          ['project', 'for', 'build'],
          'which project? e.g. "start build for project my-project"',
        ),
      },
    }),
  },
  {
    example: 'delete codebuild project my-project',
    when: [/\b(codebuild|build) project\b/],
    change: 'delete',
    build: (f) => ({
      service: 'codebuild',
      operation: 'delete-project',
      parameters: { name: named(f, ['project'], 'which project?') },
    }),
  },
  {
    example: 'list builds for project my-project',
    when: [/\bbuilds\b/, /\bproject [A-Za-z0-9_-]+/],
    build: (f) => ({
      service: 'codebuild',
      operation: 'list-builds-for-project',
      parameters: { projectName: named(f, ['project'], 'which project?') },
    }),
  },
  {
    example: 'describe codebuild project my-project',
    when: [/\b(codebuild|build) project [A-Za-z0-9_-]+/],
    unless: /\bprojects\b/,
    build: (f) => ({
      service: 'codebuild',
      operation: 'batch-get-projects',
      parameters: { names: [named(f, ['project'], 'which project?')] },
    }),
  },
  { example: 'list codebuild builds', when: [/\bbuilds\b/], build: list('codebuild', 'list-builds') },
  {
    example: 'list codebuild images',
    when: [/\bcodebuild\b/, /\b(images|environments)\b/],
    build: list('codebuild', 'list-curated-environment-images'),
  },
  {
    example: 'list codebuild projects',
    when: [/\b(codebuild|build projects)\b/],
    build: list('codebuild', 'list-projects'),
  },
];
