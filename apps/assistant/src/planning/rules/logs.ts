import type { Rule } from './rule.ts';
import { TEXT, list, named } from './rule-helpers.ts';

/** CloudWatch Logs rules, most specific first. */
export const LOGS_RULES: readonly Rule[] = [
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
];
