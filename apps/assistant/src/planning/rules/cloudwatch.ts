import type { Rule } from './rule.ts';
import { TABLE, TEXT, list, named } from './rule-helpers.ts';

/** CloudWatch rules, most specific first. */
export const CLOUDWATCH_RULES: readonly Rule[] = [
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
];
