import type { Rule } from './rule.ts';
import { list, named, need } from './rule-helpers.ts';

/** ECS rules, most specific first. */
export const ECS_RULES: readonly Rule[] = [
  {
    example: 'scale ecs service web in cluster prod to 3',
    when: [/\bservice\b/],
    change: 'scale',
    build: (f) => ({
      service: 'ecs',
      operation: 'update-service',
      parameters: {
        cluster: named(f, ['cluster'], 'which cluster? e.g. "scale ecs service web in cluster prod to 3"'),
        service: named(f, ['service'], 'which service?'),
        desiredCount: need(f.numbers.at(-1), 'to how many tasks? e.g. "... to 3"'),
      },
    }),
  },
  {
    example: 'list services in ecs cluster prod',
    when: [/\becs\b|\bcluster\b/, /\bservices\b/],
    unless: /\beks\b/,
    build: (f) => ({
      service: 'ecs',
      operation: 'list-services',
      parameters: { cluster: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list tasks in ecs cluster prod',
    when: [/\becs\b|\bcluster\b/, /\btasks\b/],
    unless: /\beks\b/,
    build: (f) => ({
      service: 'ecs',
      operation: 'list-tasks',
      parameters: { cluster: named(f, ['cluster'], 'which cluster?') },
    }),
  },
  {
    example: 'list ecs task definitions',
    when: [/\btask definitions?\b|\btask defs?\b/],
    build: list('ecs', 'list-task-definitions'),
  },
  {
    example: 'describe ecs cluster prod',
    when: [/\becs\b/, /\bcluster [A-Za-z0-9_-]+/],
    unless: /\bclusters\b/,
    build: (f) => ({
      service: 'ecs',
      operation: 'describe-clusters',
      parameters: { clusters: [named(f, ['cluster'], 'which cluster?')] },
    }),
  },
  {
    example: 'list ecs clusters',
    when: [/\becs\b|\bcontainer service\b/],
    build: list('ecs', 'list-clusters'),
  },
];
