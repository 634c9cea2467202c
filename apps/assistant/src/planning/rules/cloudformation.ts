import type { Rule } from './rule.ts';
import { TABLE, TEXT, list, named } from './rule-helpers.ts';

/** CloudFormation rules, most specific first. */
export const CLOUDFORMATION_RULES: readonly Rule[] = [
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
];
