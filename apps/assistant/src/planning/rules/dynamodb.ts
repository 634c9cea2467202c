import type { Rule } from './rule.ts';
import { TEXT, list, named } from './rule-helpers.ts';

/** DynamoDB rules, most specific first. */
export const DYNAMODB_RULES: readonly Rule[] = [
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
];
