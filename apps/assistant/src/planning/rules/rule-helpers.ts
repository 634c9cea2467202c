import { InputError } from '@ashapp/platform';
import type { Plan } from '../../plan/plan.ts';
import type { RequestFacts } from '../request-text.ts';
import { findNameAfter } from '../request-text.ts';
import type { Draft } from './rule.ts';

// Shared by the per-service rule files: the vocabulary and draft builders several services use.

export function need<T>(value: T | undefined, question: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new InputError(question);
  return value;
}

export const EC2 = /\b(ec2|instances?|servers?|vms?|virtual machines?|machines?)\b/;
export const NOT_EC2 =
  /\b(db|rds|database|aurora|containers?|ecs|eks|node ?groups?|profiles?|fargate|tasks?|types available|metrics?|cloudwatch|alarms?|logs?)\b/;
export const TEXT = 'text' as const;
export const TABLE = 'table' as const;

function instanceFilters(f: RequestFacts): Record<string, unknown> {
  const filters: { Name: string; Values: string[] }[] = [];
  if (f.state) filters.push({ Name: 'instance-state-name', Values: [f.state] });
  if (f.tag) filters.push({ Name: `tag:${f.tag.key}`, Values: [f.tag.value] });
  if (f.ids.vpc[0]) filters.push({ Name: 'vpc-id', Values: f.ids.vpc });
  const parameters: Record<string, unknown> = {};
  if (filters.length > 0) parameters['Filters'] = filters;
  if (f.ids.instance.length > 0) parameters['InstanceIds'] = f.ids.instance;
  return parameters;
}

export function instances(f: RequestFacts, query?: string, output?: Plan['output']): Draft {
  const draft: Draft = { service: 'ec2', operation: 'describe-instances', parameters: instanceFilters(f) };
  if (query) draft.query = query;
  if (output) draft.output = output;
  return draft;
}

export function instanceChange(operation: string): (f: RequestFacts) => Draft {
  return (f) => ({
    service: 'ec2',
    operation,
    parameters: {
      InstanceIds: need(
        f.ids.instance,
        `which instances? Name them by id, e.g. "${operation.split('-')[0]} instance i-0123456789abcdef0"`,
      ),
    },
  });
}

export function named(f: RequestFacts, keywords: string[], question: string): string {
  return need(findNameAfter(f, keywords), question);
}

export const list =
  (service: string, operation: string, extra: Partial<Draft> = {}) =>
  (): Draft => ({
    service,
    operation,
    ...extra,
  });

export const INSTANCE_SUMMARY =
  "Reservations[].Instances[].{InstanceId:InstanceId,Name:Tags[?Key=='Name']|[0].Value,State:State.Name,Type:InstanceType,PrivateIp:PrivateIpAddress,PublicIp:PublicIpAddress}";
