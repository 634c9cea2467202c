import type { Rule } from './rule.ts';
import { TABLE, TEXT, list, named } from './rule-helpers.ts';

/** RDS rules, most specific first. */
export const RDS_RULES: readonly Rule[] = [
  ...(['start', 'stop', 'reboot'] as const).map((verb): Rule => ({
    example: `${verb} db instance my-db`,
    when: [/\b(db|rds|database)\b/],
    change: verb,
    build: (f) => ({
      service: 'rds',
      operation: `${verb}-db-instance`,
      parameters: {
        DBInstanceIdentifier: named(
          f,
          ['instance', 'database', 'db', 'rds'],
          `which database? e.g. "${verb} db instance my-db"`,
        ),
      },
    }),
  })),
  {
    example: 'list rds snapshots',
    when: [/\b(db|rds|database)\b/, /\bsnapshots?\b/],
    build: list('rds', 'describe-db-snapshots'),
  },
  {
    example: 'list aurora clusters',
    when: [/\b(db|rds|database|aurora)\b/, /\bclusters?\b/],
    build: list('rds', 'describe-db-clusters'),
  },
  {
    example: 'list db subnet groups',
    when: [/\b(db|rds)\b/, /\bsubnet groups?\b/],
    build: list('rds', 'describe-db-subnet-groups'),
  },
  {
    example: 'list db parameter groups',
    when: [/\b(db|rds)\b/, /\bparameter groups?\b/],
    build: list('rds', 'describe-db-parameter-groups'),
  },
  {
    example: 'how many rds databases do i have',
    when: [/\b(db|rds|databases?)\b/, /\b(how many|count|number of)\b/],
    build: list('rds', 'describe-db-instances', { query: 'length(DBInstances)', output: TEXT }),
  },
  {
    example: 'describe db instance my-db',
    when: [/\b(db|rds|database) instance [A-Za-z0-9-]+/],
    unless: /\binstances\b/,
    build: (f) => ({
      service: 'rds',
      operation: 'describe-db-instances',
      parameters: { DBInstanceIdentifier: named(f, ['instance'], 'which database?') },
    }),
  },
  {
    example: 'list rds instances',
    when: [/\b(db|rds|databases?|aurora|mysql|postgres(ql)?)\b/],
    unless: /\b(dynamo|dynamodb)\b/,
    build: list('rds', 'describe-db-instances', {
      query:
        'DBInstances[].{Id:DBInstanceIdentifier,Engine:Engine,Class:DBInstanceClass,Status:DBInstanceStatus}',
      output: TABLE,
    }),
  },
];
