import type { Rule } from './rule.ts';
import { named, need } from './rule-helpers.ts';

/** SQS rules, most specific first. */
export const SQS_RULES: readonly Rule[] = [
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
];
