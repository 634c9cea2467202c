import { InputError } from '@ashapp/platform';
import type { Plan } from '../plan/plan.ts';

/** One resource a compound request would change, as the read step found it. */
export interface CompoundTarget {
  /** The resource id the change names (instance id, log group name). */
  id: string;
  /** What a person recognises it by, e.g. `web-1 (running, t3.micro)`. */
  label: string;
}

/** A recognised compound request: a read whose result selects the targets of one kind of change. */
export interface CompoundMatch {
  pattern: CompoundPatternName;
  /** e.g. `Stop the running EC2 instances tagged env=dev`. */
  description: string;
  /** The read step (read-only by construction), before validation. */
  read: Omit<Plan, 'region'>;
  /** IAM-style action of each change, for the safety rules: `ec2:StopInstances`. */
  changeAction: string;
  /** The targets the read's output selects. */
  select(output: unknown): CompoundTarget[];
  /** The exact change for one target, before validation. */
  change(target: CompoundTarget): Omit<Plan, 'region'>;
}

export type CompoundPatternName = 'ec2-instances-by-tag' | 'empty-log-groups-by-prefix';

const EC2_VERBS = {
  stop: { operation: 'stop-instances', action: 'ec2:StopInstances', states: ['running'] },
  start: { operation: 'start-instances', action: 'ec2:StartInstances', states: ['stopped'] },
  reboot: { operation: 'reboot-instances', action: 'ec2:RebootInstances', states: ['running'] },
  terminate: {
    operation: 'terminate-instances',
    action: 'ec2:TerminateInstances',
    states: ['pending', 'running', 'stopping', 'stopped'],
  },
} as const;

// "stop all running instances tagged env=dev", "terminate the stopped ec2 instances with tag team: data"
const EC2_BY_TAG =
  /^(stop|start|reboot|terminate)\s+(?:all\s+)?(?:(?:the|my)\s+)?(?:(running|stopped|pending|stopping)\s+)?(?:ec2\s+)?instances?\s+(?:that\s+are\s+)?(?:tagged(?:\s+with)?|with\s+(?:the\s+)?tag)\s+([^\s=:]+)\s*[=:]\s*(\S+?)\.?$/i;

// "delete the empty log groups under /aws/lambda/", "delete empty cloudwatch log groups with prefix /ecs/"
const EMPTY_LOG_GROUPS =
  /^(?:delete|remove)\s+(?:all\s+)?(?:the\s+)?empty\s+(?:cloudwatch\s+)?(?:logs?\s+)?log\s*groups\s+(?:under|in|with\s+(?:the\s+)?prefix|starting\s+with|prefixed\s+(?:with|by))\s+(\S+?)\.?$/i;

const TAG_PART = /^[\w.:/=+\-@ ]{1,128}$/;
const LOG_GROUP_PREFIX = /^[\w\-./#]{1,512}$/;

interface Ec2Instance {
  InstanceId?: string;
  InstanceType?: string;
  State?: { Name?: string };
  Tags?: { Key?: string; Value?: string }[];
}

function readInstances(output: unknown): Ec2Instance[] {
  const reservations = (output as { Reservations?: { Instances?: Ec2Instance[] }[] } | null)?.Reservations;
  if (!Array.isArray(reservations)) return [];
  return reservations.flatMap((r) => (Array.isArray(r.Instances) ? r.Instances : []));
}

function matchEc2ByTag(text: string): CompoundMatch | undefined {
  const m = EC2_BY_TAG.exec(text);
  if (!m) return undefined;
  const verb = EC2_VERBS[(m[1] as string).toLowerCase() as keyof typeof EC2_VERBS];
  const stateWord = m[2]?.toLowerCase();
  const key = m[3] as string;
  const value = m[4] as string;
  if (!TAG_PART.test(key) || !TAG_PART.test(value)) throw new InputError('the tag key or value is not valid');
  const states: readonly string[] = stateWord ? [stateWord] : verb.states;
  const verbWord = (m[1] as string).toLowerCase();
  return {
    pattern: 'ec2-instances-by-tag',
    description: `${verbWord[0]?.toUpperCase()}${verbWord.slice(1)} the ${states.join('/')} EC2 instances tagged ${key}=${value}`,
    read: {
      service: 'ec2',
      operation: 'describe-instances',
      parameters: {
        Filters: [
          { Name: `tag:${key}`, Values: [value] },
          { Name: 'instance-state-name', Values: [...states] },
        ],
      },
    },
    changeAction: verb.action,
    select(output) {
      // The filters did the selecting; checked again here so a lax endpoint cannot widen the set.
      return readInstances(output)
        .filter(
          (i) =>
            typeof i.InstanceId === 'string' &&
            states.includes(i.State?.Name ?? '') &&
            (i.Tags ?? []).some((t) => t.Key === key && t.Value === value),
        )
        .map((i) => {
          const name = (i.Tags ?? []).find((t) => t.Key === 'Name')?.Value;
          const details = [i.State?.Name, i.InstanceType].filter(Boolean).join(', ');
          return {
            id: i.InstanceId as string,
            label: `${name ?? (i.InstanceId as string)} (${details})`,
          };
        });
    },
    change(target) {
      return { service: 'ec2', operation: verb.operation, parameters: { InstanceIds: [target.id] } };
    },
  };
}

function matchEmptyLogGroups(text: string): CompoundMatch | undefined {
  const m = EMPTY_LOG_GROUPS.exec(text);
  if (!m) return undefined;
  const prefix = m[1] as string;
  if (!LOG_GROUP_PREFIX.test(prefix)) throw new InputError(`"${prefix}" is not a log group name prefix`);
  return {
    pattern: 'empty-log-groups-by-prefix',
    description: `Delete the empty CloudWatch log groups whose names start with ${prefix}`,
    read: { service: 'logs', operation: 'describe-log-groups', parameters: { logGroupNamePrefix: prefix } },
    changeAction: 'logs:DeleteLogGroup',
    select(output) {
      const groups = (output as { logGroups?: { logGroupName?: string; storedBytes?: number }[] } | null)
        ?.logGroups;
      if (!Array.isArray(groups)) return [];
      // Empty means AWS reports no stored bytes at all; a group without the figure is left alone.
      return groups
        .filter(
          (g) =>
            typeof g.logGroupName === 'string' && g.logGroupName.startsWith(prefix) && g.storedBytes === 0,
        )
        .map((g) => ({
          id: g.logGroupName as string,
          label: `${g.logGroupName as string} (0 bytes stored)`,
        }));
    },
    change(target) {
      return { service: 'logs', operation: 'delete-log-group', parameters: { logGroupName: target.id } };
    },
  };
}

/**
 * Recognises the compound requests the assistant handles itself (read → select → change each target),
 * or undefined so the request goes to the normal planners. Deliberately few and exact: a compound
 * request the patterns do not recognise is not guessed at.
 */
export function matchCompoundRequest(query: string): CompoundMatch | undefined {
  const text = query.trim().replace(/\s+/g, ' ');
  return matchEc2ByTag(text) ?? matchEmptyLogGroups(text);
}
