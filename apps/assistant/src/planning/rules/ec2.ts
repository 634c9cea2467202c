import type { Rule } from './rule.ts';
import {
  EC2,
  INSTANCE_SUMMARY,
  NOT_EC2,
  TABLE,
  TEXT,
  instanceChange,
  instances,
  list,
  need,
} from './rule-helpers.ts';

/** EC2 rules, most specific first. */
export const EC2_RULES: readonly Rule[] = [
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
];
