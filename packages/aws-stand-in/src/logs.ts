import type { CodeBuildState } from './codebuild.ts';
import { jsonError, jsonReplier } from './codebuild.ts';
import type { ServiceReply, StandInLogGroup, StandInUser } from './types.ts';

/** CloudWatch Logs answers DescribeLogGroups in pages of at most 50 (its own `limit` maximum). */
const MAX_PAGE = 50;
const GROUP_NAME = /^[\w\-./#]{1,512}$/;

export interface LogsState {
  groups: Map<string, { createdAt: number; storedBytes: number }>;
}

export function createLogsState(groups: readonly StandInLogGroup[]): LogsState {
  return {
    groups: new Map(
      groups.map((g) => [
        g.name,
        { createdAt: g.createdAt ?? 1_767_225_600_000, storedBytes: g.storedBytes ?? 0 },
      ]),
    ),
  };
}

/**
 * CloudWatch Logs over JSON 1.1 (`X-Amz-Target: Logs_20140328.<Operation>`): log groups (describe with
 * prefix and pages, create, delete) and the events CodeBuild builds write.
 */
export function handleLogs(
  state: LogsState,
  codebuild: CodeBuildState,
  user: StandInUser,
  region: string,
  operation: string,
  params: Record<string, unknown>,
): ServiceReply {
  const reply = jsonReplier(operation, params);
  const arnOf = (name: string) => `arn:aws:logs:${region}:${user.account}:log-group:${name}:*`;
  switch (operation) {
    case 'DescribeLogGroups': {
      const prefix = params['logGroupNamePrefix'];
      if (prefix !== undefined && (typeof prefix !== 'string' || !GROUP_NAME.test(prefix))) {
        return jsonError(operation, params, 400, 'InvalidParameterException', 'Invalid logGroupNamePrefix');
      }
      const limit = params['limit'] ?? MAX_PAGE;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        return jsonError(
          operation,
          params,
          400,
          'InvalidParameterException',
          "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
        );
      }
      const names = [...state.groups.keys()]
        .filter((n) => prefix === undefined || n.startsWith(prefix))
        .sort();
      const token = params['nextToken'];
      let start = 0;
      if (token !== undefined) {
        const match = typeof token === 'string' ? /^page-(\d+)$/.exec(token) : null;
        if (!match)
          return jsonError(
            operation,
            params,
            400,
            'InvalidParameterException',
            'The specified nextToken is invalid.',
          );
        start = Number(match[1]);
      }
      const page = names.slice(start, start + limit);
      const next = start + limit < names.length ? { nextToken: `page-${start + limit}` } : {};
      return reply(200, {
        logGroups: page.map((name) => {
          const group = state.groups.get(name) as { createdAt: number; storedBytes: number };
          return {
            logGroupName: name,
            creationTime: group.createdAt,
            metricFilterCount: 0,
            arn: arnOf(name),
            storedBytes: group.storedBytes,
          };
        }),
        ...next,
      });
    }
    case 'CreateLogGroup': {
      const name = params['logGroupName'];
      if (typeof name !== 'string' || !GROUP_NAME.test(name))
        return jsonError(operation, params, 400, 'InvalidParameterException', 'Invalid logGroupName');
      if (state.groups.has(name))
        return jsonError(
          operation,
          params,
          400,
          'ResourceAlreadyExistsException',
          'The specified log group already exists',
        );
      state.groups.set(name, { createdAt: Date.now(), storedBytes: 0 });
      return reply(200, {});
    }
    case 'DeleteLogGroup': {
      const name = params['logGroupName'];
      if (typeof name !== 'string' || !state.groups.has(name))
        return jsonError(
          operation,
          params,
          400,
          'ResourceNotFoundException',
          'The specified log group does not exist.',
        );
      state.groups.delete(name);
      return reply(200, {});
    }
    case 'GetLogEvents': {
      const group = params['logGroupName'];
      const stream = params['logStreamName'];
      const events = codebuild.logEvents.get(`${String(group)}\n${String(stream)}`);
      if (!events)
        return jsonError(
          operation,
          params,
          400,
          'ResourceNotFoundException',
          'The specified log stream does not exist.',
        );
      return reply(200, { events, nextForwardToken: `f/${events.length}`, nextBackwardToken: 'b/0' });
    }
    default:
      return jsonError(operation, params, 400, 'UnknownOperationException', '');
  }
}
