import type { Rule } from './rule.ts';
import { list, named } from './rule-helpers.ts';

/** EKS rules, most specific first. */
export const EKS_RULES: readonly Rule[] = [
  {
    example: 'list node groups in eks cluster prod',
    when: [/\bnode ?groups?\b/],
    build: (f) => ({
      service: 'eks',
      operation: 'list-nodegroups',
      parameters: { clusterName: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list addons in eks cluster prod',
    when: [/\badd-?ons?\b/],
    build: (f) => ({
      service: 'eks',
      operation: 'list-addons',
      parameters: { clusterName: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list fargate profiles in eks cluster prod',
    when: [/\bfargate profiles?\b/],
    build: (f) => ({
      service: 'eks',
      operation: 'list-fargate-profiles',
      parameters: { clusterName: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'describe eks cluster prod',
    when: [/\b(eks|kubernetes|k8s)\b/, /\bcluster [A-Za-z0-9_-]+/],
    unless: /\bclusters\b/,
    build: (f) => ({
      service: 'eks',
      operation: 'describe-cluster',
      parameters: { name: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  { example: 'list eks clusters', when: [/\b(eks|kubernetes|k8s)\b/], build: list('eks', 'list-clusters') },
];
