import type { Rule } from './rule.ts';
import { list, named, need } from './rule-helpers.ts';

/** SNS rules, most specific first. */
export const SNS_RULES: readonly Rule[] = [
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
];
