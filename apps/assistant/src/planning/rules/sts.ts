import type { Rule } from './rule.ts';
import { TEXT, list } from './rule-helpers.ts';

/** STS rules, most specific first. */
export const STS_RULES: readonly Rule[] = [
  {
    example: 'what is my account id',
    when: [/\baccount (id|number)\b/],
    build: () => ({ service: 'sts', operation: 'get-caller-identity', query: 'Account', output: TEXT }),
  },
  {
    example: 'who am i',
    when: [/\b(who ?am ?i|whoami|caller identity|my identity|my arn|current user|logged in as|sts)\b/],
    unless: /\biam users\b/,
    build: list('sts', 'get-caller-identity'),
  },
];
