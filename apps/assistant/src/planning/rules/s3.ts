import type { Rule } from './rule.ts';
import { TEXT, list, named } from './rule-helpers.ts';

/** S3 rules, most specific first. */
export const S3_RULES: readonly Rule[] = [
  {
    example: 'create bucket my-bucket',
    when: [/\bbuckets?\b/],
    change: 'create',
    build: (f) => ({
      service: 's3api',
      operation: 'create-bucket',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket? e.g. "create bucket my-bucket"') },
    }),
  },
  {
    example: 'delete bucket my-bucket',
    when: [/\bbuckets?\b/],
    change: 'delete',
    build: (f) => ({
      service: 's3api',
      operation: 'delete-bucket',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket? e.g. "delete bucket my-bucket"') },
    }),
  },
  {
    example: 'how many s3 buckets do i have',
    when: [/\b(s3|buckets?)\b/, /\b(how many|count|number of)\b/],
    unless: /\bobjects?|files?|keys?\b/,
    build: list('s3api', 'list-buckets', { query: 'length(Buckets)', output: TEXT }),
  },
  {
    example: 'list objects in bucket my-bucket',
    when: [/\b(objects?|files?|keys|contents?)\b/, /\b(buckets?|s3)\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'list-objects-v2',
      parameters: {
        Bucket: named(f, ['bucket', 'in', 'of'], 'which bucket? e.g. "list objects in bucket my-bucket"'),
      },
      ...(f.counting ? { query: 'KeyCount', output: TEXT } : {}),
    }),
  },
  {
    example: 'where is bucket my-bucket located',
    when: [/\bbucket\b/, /\b(location|region|located|where)\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-location',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'show the policy of bucket my-bucket',
    when: [/\bbucket\b/, /\bpolicy\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-policy',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'is versioning enabled on bucket my-bucket',
    when: [/\bbucket\b/, /\bversioning\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-versioning',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'show encryption of bucket my-bucket',
    when: [/\bbucket\b/, /\bencryption\b|\bencrypted\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-encryption',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'show tags of bucket my-bucket',
    when: [/\bbucket\b/, /\btags?\b/],
    build: (f) => ({
      service: 's3api',
      operation: 'get-bucket-tagging',
      parameters: { Bucket: named(f, ['bucket'], 'which bucket?') },
    }),
  },
  {
    example: 'list s3 bucket names',
    when: [/\b(s3|buckets?)\b/, /\bnames?\b/],
    build: list('s3api', 'list-buckets', { query: 'Buckets[].Name', output: TEXT }),
  },
  { example: 'list s3 buckets', when: [/\b(s3|buckets?)\b/], build: list('s3api', 'list-buckets') },
];
