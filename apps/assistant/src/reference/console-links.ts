import type { Plan } from '../plan/plan.ts';

/**
 * Links a plan to the AWS console page for its service, resource and region: the "Reference" button.
 * Pure string building from the plan; no calls.
 */

const enc = encodeURIComponent;

function first(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function regional(region: string, path: string, fragment = ''): string {
  const separator = path.includes('?') ? '&' : '?';
  return `https://${region}.console.aws.amazon.com/${path}${separator}region=${region}${fragment ? `#${fragment}` : ''}`;
}

const VPC_PAGES: Readonly<Record<string, string>> = {
  vpc: 'vpcs:',
  subnet: 'subnets:',
  'route-table': 'RouteTables:',
  'internet-gateway': 'igws:',
  'nat-gateway': 'NatGateways:',
  'network-acl': 'acls:',
  'vpc-endpoint': 'Endpoints:',
  'vpc-peering-connection': 'PeeringConnections:',
};

const EC2_PAGES: Readonly<Record<string, string>> = {
  instance: 'Instances:',
  volume: 'Volumes:',
  snapshot: 'Snapshots:',
  image: 'Images:',
  'security-group': 'SecurityGroups:',
  'key-pair': 'KeyPairs:',
  address: 'Addresses:',
  'launch-template': 'LaunchTemplates:',
  'network-interface': 'NIC:',
  'availability-zone': 'Settings:',
  region: 'Settings:',
  tag: 'Tags:',
};

function resourceOf(operation: string): string {
  // describe-security-groups → security-group; stop-instances → instance
  return operation
    .replace(
      /^(describe|list|get|create|delete|start|stop|reboot|terminate|modify|run|allocate|release)-/,
      '',
    )
    .replace(/ies$/, 'y')
    .replace(/(ss)es$/, '$1')
    .replace(/s$/, '');
}

function linkEc2(plan: Plan): string {
  const { region, parameters: p } = plan;
  const resource = resourceOf(plan.operation);
  const vpcPage = VPC_PAGES[resource];
  if (vpcPage) {
    const id = first(p['VpcIds']) ?? first(p['SubnetIds']);
    return regional(region, 'vpcconsole/home', id ? `${vpcPage}search=${enc(id)}` : vpcPage);
  }
  const page = EC2_PAGES[resource] ?? 'Home:';
  const instance = first(p['InstanceIds']);
  if (resource === 'instance' && instance)
    return regional(region, 'ec2/home', `InstanceDetails:instanceId=${enc(instance)}`);
  const group = first(p['GroupIds']);
  if (resource === 'security-group' && group)
    return regional(region, 'ec2/home', `SecurityGroup:groupId=${enc(group)}`);
  const volume = first(p['VolumeIds']);
  if (resource === 'volume' && volume)
    return regional(region, 'ec2/home', `VolumeDetails:volumeId=${enc(volume)}`);
  return regional(region, 'ec2/home', page);
}

function linkIam(plan: Plan): string {
  const p = plan.parameters;
  const base = 'https://us-east-1.console.aws.amazon.com/iam/home';
  const user = first(p['UserName']);
  const role = first(p['RoleName']);
  const group = first(p['GroupName']);
  if (role) return `${base}#/roles/details/${enc(role)}`;
  if (user) return `${base}#/users/details/${enc(user)}`;
  if (group) return `${base}#/groups/details/${enc(group)}`;
  if (plan.operation.includes('role')) return `${base}#/roles`;
  if (plan.operation.includes('group')) return `${base}#/groups`;
  if (plan.operation.includes('polic')) return `${base}#/policies`;
  if (plan.operation.includes('user') || plan.operation.includes('access-key')) return `${base}#/users`;
  return `${base}#/home`;
}

function logGroupFragment(name: string): string {
  // The CloudWatch console double-encodes log group names and writes % as $.
  return enc(enc(name)).replace(/%/g, '$');
}

const LINKS: Readonly<Record<string, (plan: Plan) => string>> = {
  ec2: linkEc2,
  s3api: (plan) => {
    const bucket = first(plan.parameters['Bucket']);
    return bucket && plan.operation !== 'delete-bucket'
      ? `https://s3.console.aws.amazon.com/s3/buckets/${enc(bucket)}?region=${plan.region}`
      : `https://s3.console.aws.amazon.com/s3/buckets?region=${plan.region}`;
  },
  iam: linkIam,
  sts: () => 'https://us-east-1.console.aws.amazon.com/iam/home#/security_credentials',
  lambda: (plan) => {
    const name = first(plan.parameters['FunctionName']);
    return regional(
      plan.region,
      'lambda/home',
      name && plan.operation !== 'delete-function' ? `/functions/${enc(name)}` : '/functions',
    );
  },
  rds: (plan) => {
    const id = first(plan.parameters['DBInstanceIdentifier']);
    if (id) return regional(plan.region, 'rds/home', `database:id=${enc(id)};is-cluster=false`);
    if (plan.operation.includes('snapshot')) return regional(plan.region, 'rds/home', 'snapshots-list:');
    return regional(plan.region, 'rds/home', 'databases:');
  },
  cloudwatch: (plan) => {
    if (plan.operation.includes('dashboard')) return regional(plan.region, 'cloudwatch/home', 'dashboards:');
    if (plan.operation.includes('metric')) return regional(plan.region, 'cloudwatch/home', 'metricsV2:');
    const alarm = first(plan.parameters['AlarmNames']);
    return regional(plan.region, 'cloudwatch/home', alarm ? `alarmsV2:alarm/${enc(alarm)}` : 'alarmsV2:');
  },
  logs: (plan) => {
    const group = first(plan.parameters['logGroupName']);
    return regional(
      plan.region,
      'cloudwatch/home',
      group && plan.operation !== 'delete-log-group'
        ? `logsV2:log-groups/log-group/${logGroupFragment(group)}`
        : 'logsV2:log-groups',
    );
  },
  cloudformation: (plan) => {
    const stack = first(plan.parameters['StackName']);
    return regional(
      plan.region,
      'cloudformation/home',
      stack && plan.operation !== 'delete-stack' ? `/stacks/stackinfo?stackId=${enc(stack)}` : '/stacks',
    );
  },
  ecs: (plan) => {
    const cluster = first(plan.parameters['cluster']) ?? first(plan.parameters['clusters']);
    return regional(plan.region, cluster ? `ecs/v2/clusters/${enc(cluster)}/services` : 'ecs/v2/clusters');
  },
  eks: (plan) => {
    const cluster = first(plan.parameters['name']) ?? first(plan.parameters['clusterName']);
    return regional(plan.region, 'eks/home', cluster ? `/clusters/${enc(cluster)}` : '/clusters');
  },
  ecr: (plan) => regional(plan.region, 'ecr/private-registry/repositories'),
  dynamodb: (plan) => {
    const table = first(plan.parameters['TableName']);
    return regional(
      plan.region,
      'dynamodbv2/home',
      table && plan.operation !== 'delete-table' ? `table?name=${enc(table)}` : 'tables',
    );
  },
  sns: (plan) => {
    const topic = first(plan.parameters['TopicArn']);
    if (topic && plan.operation !== 'delete-topic')
      return regional(plan.region, 'sns/v3/home', `/topic/${topic}`);
    return regional(
      plan.region,
      'sns/v3/home',
      plan.operation.includes('subscription') ? '/subscriptions' : '/topics',
    );
  },
  sqs: (plan) => {
    const url = first(plan.parameters['QueueUrl']);
    return regional(
      plan.region,
      'sqs/v3/home',
      url && plan.operation !== 'delete-queue' ? `/queues/${enc(url)}` : '/queues',
    );
  },
  route53: (plan) => {
    const zone = first(plan.parameters['HostedZoneId']);
    if (plan.operation.includes('health-check'))
      return 'https://us-east-1.console.aws.amazon.com/route53/healthchecks/home#/';
    return `https://us-east-1.console.aws.amazon.com/route53/v2/hostedzones${zone ? `#ListRecordSets/${enc(zone.replace(/^\/hostedzone\//, ''))}` : '#'}`;
  },
  codebuild: (plan) => {
    const project =
      first(plan.parameters['projectName']) ??
      first(plan.parameters['names']) ??
      first(plan.parameters['name']);
    return regional(
      plan.region,
      project && plan.operation !== 'delete-project'
        ? `codesuite/codebuild/projects/${enc(project)}/history`
        : 'codesuite/codebuild/projects',
    );
  },
};

// Services whose console lives under another path than their CLI name (the planner now reaches every
// service, so the generic `<cli name>/home` would be a dead page for these).
const CONSOLE_PATHS: Readonly<Record<string, string>> = {
  stepfunctions: 'states/home',
  kafka: 'msk/home',
  'cognito-idp': 'cognito/v2/idp/user-pools',
  'cognito-identity': 'cognito/v2/identity/identity-pools',
  ssm: 'systems-manager/home',
  deploy: 'codesuite/codedeploy/home',
  codepipeline: 'codesuite/codepipeline/pipelines',
  codecommit: 'codesuite/codecommit/repositories',
  codeartifact: 'codesuite/codeartifact/home',
  configservice: 'config/home',
  elbv2: 'ec2/home#LoadBalancers:',
  elb: 'ec2/home#LoadBalancers:',
  autoscaling: 'ec2/home#AutoScalingGroups:',
  'sso-admin': 'singlesignon/home',
  opensearch: 'aos/home',
  'redshift-serverless': 'redshiftv2/home',
  resourcegroupstaggingapi: 'resource-groups/tag-editor',
  'service-quotas': 'servicequotas/home',
  'emr-serverless': 'emr/home#/serverless',
  ce: 'costmanagement/home#/cost-explorer',
  'timestream-write': 'timestream/home',
};

/** The AWS console page for the plan's service, resource and region. */
export function buildConsoleUrl(plan: Pick<Plan, 'service' | 'operation' | 'parameters' | 'region'>): string {
  const link = LINKS[plan.service];
  if (link) return link(plan as Plan);
  if (plan.service === 'lightsail') return 'https://lightsail.aws.amazon.com/ls/webapp/home';
  const [path, fragment] = (CONSOLE_PATHS[plan.service] ?? `${enc(plan.service)}/home`).split('#');
  return regional(plan.region, path as string, fragment);
}

/** Services with a dedicated console mapping. */
export const CONSOLE_LINKED_SERVICES = Object.keys(LINKS);
