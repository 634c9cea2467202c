import type { Rule } from './rule.ts';
import { TABLE, TEXT, list, named } from './rule-helpers.ts';

/** Lambda rules, most specific first. */
export const LAMBDA_RULES: readonly Rule[] = [
  {
    example: 'delete lambda function my-function',
    when: [/\b(lambda|functions?)\b/],
    change: 'delete',
    build: (f) => ({
      service: 'lambda',
      operation: 'delete-function',
      parameters: { FunctionName: named(f, ['function', 'lambda'], 'which function?') },
    }),
  },
  {
    example: 'list versions of function my-function',
    when: [/\bversions?\b/, /\bfunction\b/],
    build: (f) => ({
      service: 'lambda',
      operation: 'list-versions-by-function',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  {
    example: 'list aliases of function my-function',
    when: [/\baliases?\b/, /\bfunction\b/],
    build: (f) => ({
      service: 'lambda',
      operation: 'list-aliases',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  {
    example: 'show the configuration of lambda function my-function',
    when: [
      /\b(configuration|config|settings|runtime|env(ironment)?( variables)?)\b/,
      /\bfunction [A-Za-z0-9_:.-]+/,
    ],
    build: (f) => ({
      service: 'lambda',
      operation: 'get-function-configuration',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  { example: 'list lambda layers', when: [/\blayers?\b/], build: list('lambda', 'list-layers') },
  {
    example: 'list lambda event source mappings',
    when: [/\bevent source mappings?\b|\btriggers\b/],
    build: list('lambda', 'list-event-source-mappings'),
  },
  {
    example: 'how many lambda functions do i have',
    when: [/\b(lambdas?|functions)\b/, /\b(how many|count|number of)\b/],
    build: list('lambda', 'list-functions', { query: 'length(Functions)', output: TEXT }),
  },
  {
    example: 'list lambda function names',
    when: [/\b(lambdas?|functions)\b/, /\bnames?\b/],
    build: list('lambda', 'list-functions', { query: 'Functions[].FunctionName', output: TEXT }),
  },
  {
    example: 'describe lambda function my-function',
    when: [/\b(lambda )?function [A-Za-z0-9_:.-]+/],
    unless: /\bfunctions\b/,
    build: (f) => ({
      service: 'lambda',
      operation: 'get-function',
      parameters: { FunctionName: named(f, ['function'], 'which function?') },
    }),
  },
  {
    example: 'list lambda functions',
    when: [/\b(lambdas?|functions?|serverless)\b/],
    build: list('lambda', 'list-functions', {
      query: 'Functions[].{Name:FunctionName,Runtime:Runtime,Memory:MemorySize,Modified:LastModified}',
      output: TABLE,
    }),
  },
];
