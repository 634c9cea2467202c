import type { Rule } from './rule.ts';
import { STS_RULES } from './sts.ts';
import { EC2_RULES } from './ec2.ts';
import { S3_RULES } from './s3.ts';
import { IAM_RULES } from './iam.ts';
import { LOGS_RULES } from './logs.ts';
import { LAMBDA_RULES } from './lambda.ts';
import { RDS_RULES } from './rds.ts';
import { CLOUDWATCH_RULES } from './cloudwatch.ts';
import { CLOUDFORMATION_RULES } from './cloudformation.ts';
import { ECS_RULES } from './ecs.ts';
import { EKS_RULES } from './eks.ts';
import { ECR_RULES } from './ecr.ts';
import { DYNAMODB_RULES } from './dynamodb.ts';
import { SNS_RULES } from './sns.ts';
import { SQS_RULES } from './sqs.ts';
import { ROUTE53_RULES } from './route53.ts';
import { CODEBUILD_RULES } from './codebuild.ts';

export type { Draft, Rule } from './rule.ts';

/**
 * The built-in rules, most specific first: the first rule whose patterns match plans the request, so the
 * order of the services below is part of the behaviour (STS before EC2 before everything that mentions
 * instances, …). Each rule names the operation from the AWS model directly; safety is decided later from
 * that operation, never from these words.
 */
export const BUILT_IN_RULES: readonly Rule[] = [
  ...STS_RULES,
  ...EC2_RULES,
  ...S3_RULES,
  ...IAM_RULES,
  ...LOGS_RULES,
  ...LAMBDA_RULES,
  ...RDS_RULES,
  ...CLOUDWATCH_RULES,
  ...CLOUDFORMATION_RULES,
  ...ECS_RULES,
  ...EKS_RULES,
  ...ECR_RULES,
  ...DYNAMODB_RULES,
  ...SNS_RULES,
  ...SQS_RULES,
  ...ROUTE53_RULES,
  ...CODEBUILD_RULES,
];
