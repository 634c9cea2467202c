import type { Rule } from './rule.ts';
import { TABLE, list, named } from './rule-helpers.ts';

/** ECR rules, most specific first. */
export const ECR_RULES: readonly Rule[] = [
  {
    example: 'create ecr repository my-app',
    when: [/\b(ecr|repositor(y|ies)|repo)\b/],
    change: 'create',
    build: (f) => ({
      service: 'ecr',
      operation: 'create-repository',
      parameters: { repositoryName: named(f, ['repository', 'repo'], 'which repository name?') },
    }),
  },
  {
    example: 'delete ecr repository my-app',
    when: [/\b(ecr|repositor(y|ies)|repo)\b/],
    change: 'delete',
    build: (f) => ({
      service: 'ecr',
      operation: 'delete-repository',
      parameters: { repositoryName: named(f, ['repository', 'repo'], 'which repository?') },
    }),
  },
  {
    example: 'list images in ecr repository my-app',
    when: [/\b(images?|tags)\b/, /\b(ecr|repositor(y|ies)|repo)\b/],
    build: (f) => ({
      service: 'ecr',
      operation: 'describe-images',
      parameters: { repositoryName: named(f, ['repository', 'repo'], 'which repository?') },
    }),
  },
  {
    example: 'list ecr repositories',
    when: [/\b(ecr|container registry|docker repositor(y|ies)|repositories)\b/],
    build: list('ecr', 'describe-repositories', {
      query: 'repositories[].{Name:repositoryName,Uri:repositoryUri}',
      output: TABLE,
    }),
  },
];
