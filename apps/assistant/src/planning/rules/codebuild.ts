import type { Rule } from './rule.ts';
import { list, named } from './rule-helpers.ts';

/** CodeBuild rules, most specific first. */
export const CODEBUILD_RULES: readonly Rule[] = [
  {
    example: 'start a build for codebuild project my-project',
    when: [/\b(build|codebuild)\b/],
    change: 'start',
    build: (f) => ({
      service: 'codebuild',
      operation: 'start-build',
      parameters: {
        projectName: named(
          f,
          ['project', 'for', 'build'],
          'which project? e.g. "start build for project my-project"',
        ),
      },
    }),
  },
  {
    example: 'delete codebuild project my-project',
    when: [/\b(codebuild|build) project\b/],
    change: 'delete',
    build: (f) => ({
      service: 'codebuild',
      operation: 'delete-project',
      parameters: { name: named(f, ['project'], 'which project?') },
    }),
  },
  {
    example: 'list builds for project my-project',
    when: [/\bbuilds\b/, /\bproject [A-Za-z0-9_-]+/],
    build: (f) => ({
      service: 'codebuild',
      operation: 'list-builds-for-project',
      parameters: { projectName: named(f, ['project'], 'which project?') },
    }),
  },
  {
    example: 'describe codebuild project my-project',
    when: [/\b(codebuild|build) project [A-Za-z0-9_-]+/],
    unless: /\bprojects\b/,
    build: (f) => ({
      service: 'codebuild',
      operation: 'batch-get-projects',
      parameters: { names: [named(f, ['project'], 'which project?')] },
    }),
  },
  { example: 'list codebuild builds', when: [/\bbuilds\b/], build: list('codebuild', 'list-builds') },
  {
    example: 'list codebuild images',
    when: [/\bcodebuild\b/, /\b(images|environments)\b/],
    build: list('codebuild', 'list-curated-environment-images'),
  },
  {
    example: 'list codebuild projects',
    when: [/\b(codebuild|build projects)\b/],
    build: list('codebuild', 'list-projects'),
  },
];
