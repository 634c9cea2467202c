import type { Rule } from './rule.ts';
import { TABLE, TEXT, list, named } from './rule-helpers.ts';
import { findNameAfter } from '../request-text.ts';

/** IAM rules, most specific first. */
export const IAM_RULES: readonly Rule[] = [
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
];
