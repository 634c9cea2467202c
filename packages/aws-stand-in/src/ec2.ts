import { randomUUID } from 'node:crypto';
import type { ServiceReply, StandInInstance, StandInUser } from './types.ts';
import { EC2_STATE_CODES, escapeXml } from './types.ts';

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function renderEc2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
}

/** Reads EC2 query lists: `InstanceId.1=a&InstanceId.2=b`. */
function readList(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; i <= 1000; i++) {
    const value = params[`${prefix}.${i}`];
    if (value === undefined) break;
    out.push(value);
  }
  return out;
}

function readFilters(params: Record<string, string>): { name: string; values: string[] }[] {
  const filters: { name: string; values: string[] }[] = [];
  for (let i = 1; i <= 50; i++) {
    const name = params[`Filter.${i}.Name`];
    if (name === undefined) break;
    filters.push({ name, values: readList(params, `Filter.${i}.Value`) });
  }
  return filters;
}

function tagsOf(instance: StandInInstance): Record<string, string> {
  return { ...(instance.name !== undefined ? { Name: instance.name } : {}), ...(instance.tags ?? {}) };
}

function matches(instance: StandInInstance, filter: { name: string; values: string[] }): boolean {
  if (filter.name === 'instance-state-name') return filter.values.includes(instance.state);
  if (filter.name === 'instance-id') return filter.values.includes(instance.instanceId);
  if (filter.name === 'instance-type') return filter.values.includes(instance.instanceType ?? 't3.micro');
  if (filter.name.startsWith('tag:')) {
    const value = tagsOf(instance)[filter.name.slice(4)];
    return value !== undefined && filter.values.includes(value);
  }
  return true;
}

function renderInstance(instance: StandInInstance): string {
  const tags = Object.entries(tagsOf(instance))
    .map(([k, v]) => `<item><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></item>`)
    .join('');
  return [
    '<item>',
    `<instanceId>${instance.instanceId}</instanceId>`,
    `<imageId>${instance.imageId ?? 'ami-0abcdef1234567890'}</imageId>`,
    `<instanceState><code>${EC2_STATE_CODES[instance.state]}</code><name>${instance.state}</name></instanceState>`,
    `<privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName>`,
    `<dnsName/>`,
    `<instanceType>${instance.instanceType ?? 't3.micro'}</instanceType>`,
    `<launchTime>2026-01-01T00:00:00.000Z</launchTime>`,
    `<placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>`,
    `<privateIpAddress>${instance.privateIpAddress ?? '10.0.0.1'}</privateIpAddress>`,
    instance.publicIpAddress ? `<ipAddress>${instance.publicIpAddress}</ipAddress>` : '',
    tags ? `<tagSet>${tags}</tagSet>` : '',
    '</item>',
  ].join('');
}

export interface Ec2State {
  instances: StandInInstance[];
}

const TRANSITIONS: Readonly<
  Record<string, { next: StandInInstance['state']; from: StandInInstance['state'][] }>
> = {
  StartInstances: { next: 'running', from: ['stopped', 'running', 'pending'] },
  StopInstances: { next: 'stopped', from: ['running', 'stopped', 'pending', 'stopping'] },
  TerminateInstances: {
    next: 'terminated',
    from: ['running', 'stopped', 'pending', 'stopping', 'terminated'],
  },
  RebootInstances: { next: 'running', from: ['running'] },
};

const RESULT_ELEMENT: Readonly<Record<string, string>> = {
  StartInstances: 'StartInstancesResponse',
  StopInstances: 'StopInstancesResponse',
  TerminateInstances: 'TerminateInstancesResponse',
};

export function handleEc2(state: Ec2State, user: StandInUser, params: Record<string, string>): ServiceReply {
  const action = params['Action'] ?? '';
  const dryRun = params['DryRun'] === 'true';
  const xml = { 'content-type': 'text/xml;charset=UTF-8' };
  const fail = (status: number, code: string, message: string): ServiceReply => ({
    status,
    body: renderEc2Error(code, message),
    action,
    params,
    dryRun,
    errorCode: code,
    headers: xml,
  });
  if (action !== 'DescribeInstances' && !TRANSITIONS[action]) {
    return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
  }
  if (user.deniedActions?.includes(action)) {
    return fail(403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
  }
  if (dryRun) return fail(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');

  const ids = readList(params, 'InstanceId');
  for (const id of ids) {
    if (!/^i-[0-9a-f]{8,17}$/.test(id))
      return fail(400, 'InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    if (!state.instances.some((i) => i.instanceId === id)) {
      return fail(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
  }
  const requestId = randomUUID();
  if (action === 'DescribeInstances') {
    const filters = readFilters(params);
    const selected = state.instances.filter(
      (i) => (ids.length === 0 || ids.includes(i.instanceId)) && filters.every((f) => matches(i, f)),
    );
    // EC2 pages only when asked (MaxResults 5–1000, not with instance ids); NextToken carries the offset.
    const maxResults = params['MaxResults'];
    let page = selected;
    let nextToken = '';
    if (maxResults !== undefined || params['NextToken'] !== undefined) {
      const size = Number(maxResults ?? 1000);
      if (!Number.isInteger(size) || size < 5 || size > 1000 || ids.length > 0) {
        return fail(
          400,
          'InvalidParameterValue',
          `Value ( ${String(maxResults)} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000 without instance ids.`,
        );
      }
      const start =
        params['NextToken'] === undefined ? 0 : Number(/^token-(\d+)$/.exec(params['NextToken'])?.[1] ?? NaN);
      if (!Number.isInteger(start)) return fail(400, 'InvalidParameterValue', 'Invalid value for NextToken');
      page = selected.slice(start, start + size);
      if (start + size < selected.length) nextToken = `<nextToken>token-${start + size}</nextToken>`;
    }
    const reservations = page
      .map(
        (instance) =>
          `<item><reservationId>r-${String(state.instances.indexOf(instance)).padStart(17, '0')}</reservationId><ownerId>${escapeXml(user.account)}</ownerId><groupSet/><instancesSet>${renderInstance(instance)}</instancesSet></item>`,
      )
      .join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${NS}"><requestId>${requestId}</requestId><reservationSet>${reservations}</reservationSet>${nextToken}</DescribeInstancesResponse>`;
    return { status: 200, body, action, params, dryRun, headers: xml };
  }
  if (ids.length === 0)
    return fail(400, 'MissingParameter', 'The request must contain the parameter InstanceId');
  const transition = TRANSITIONS[action] as {
    next: StandInInstance['state'];
    from: StandInInstance['state'][];
  };
  const changes: string[] = [];
  for (const id of ids) {
    const instance = state.instances.find((i) => i.instanceId === id) as StandInInstance;
    if (!transition.from.includes(instance.state)) {
      return fail(
        400,
        'IncorrectInstanceState',
        `The instance '${id}' is not in a state from which it can be ${action.replace('Instances', '').toLowerCase()}ed.`,
      );
    }
    const previous = instance.state;
    instance.state = transition.next;
    changes.push(
      `<item><instanceId>${id}</instanceId><currentState><code>${EC2_STATE_CODES[instance.state]}</code><name>${instance.state}</name></currentState><previousState><code>${EC2_STATE_CODES[previous]}</code><name>${previous}</name></previousState></item>`,
    );
  }
  if (action === 'RebootInstances') {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<RebootInstancesResponse xmlns="${NS}"><requestId>${requestId}</requestId><return>true</return></RebootInstancesResponse>`;
    return { status: 200, body, action, params, dryRun, headers: xml };
  }
  const element = RESULT_ELEMENT[action] as string;
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${element} xmlns="${NS}"><requestId>${requestId}</requestId><instancesSet>${changes.join('')}</instancesSet></${element}>`;
  return { status: 200, body, action, params, dryRun, headers: xml };
}
