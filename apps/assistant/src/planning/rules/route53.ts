import type { Rule } from './rule.ts';
import { TEXT, list, need } from './rule-helpers.ts';

/** Route 53 rules, most specific first. */
export const ROUTE53_RULES: readonly Rule[] = [
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
];
