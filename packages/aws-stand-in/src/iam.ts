import { randomUUID } from 'node:crypto';
import type { ServiceReply } from './types.ts';
import { escapeXml } from './types.ts';

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export interface StandInRole {
  name: string;
  /** Services allowed to assume the role (its trust policy's `Principal.Service`). */
  trustedServices: string[];
  path?: string;
  description?: string;
}

/** A role CodeBuild may assume and one only Lambda may, in every stand-in unless a test gives its own. */
export const DEFAULT_STAND_IN_ROLES: readonly StandInRole[] = [
  { name: 'codebuild-ashapp-service-role', trustedServices: ['codebuild.amazonaws.com'], path: '/service-role/', description: 'Builds for ASHapp' },
  { name: 'lambda-basic-execution', trustedServices: ['lambda.amazonaws.com'] },
];

function renderIamError(status: number, code: string, message: string): ServiceReply {
  return {
    status,
    body: `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`,
    action: 'Unknown',
    params: {},
    errorCode: code,
    headers: { 'content-type': 'text/xml' },
  };
}

function renderRole(role: StandInRole, account: string, index: number): string {
  const path = role.path ?? '/';
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: role.trustedServices.length === 1 ? role.trustedServices[0] : role.trustedServices }, Action: 'sts:AssumeRole' }],
  };
  return [
    '<member>',
    `<Path>${escapeXml(path)}</Path>`,
    `<RoleName>${escapeXml(role.name)}</RoleName>`,
    `<RoleId>AROA${String(index).padStart(17, '0')}</RoleId>`,
    `<Arn>arn:aws:iam::${account}:role${escapeXml(path)}${escapeXml(role.name)}</Arn>`,
    '<CreateDate>2026-01-01T00:00:00Z</CreateDate>',
    // IAM answers policy documents URL-encoded (RFC 3986), as the real service does.
    `<AssumeRolePolicyDocument>${escapeXml(encodeURIComponent(JSON.stringify(trust)))}</AssumeRolePolicyDocument>`,
    role.description ? `<Description>${escapeXml(role.description)}</Description>` : '',
    '<MaxSessionDuration>3600</MaxSessionDuration>',
    '</member>',
  ].join('');
}

/** IAM over its query protocol (Version=2010-05-08): ListRoles with MaxItems/Marker paging. */
export function handleIam(roles: readonly StandInRole[], account: string, params: Record<string, string>): ServiceReply {
  const action = params['Action'] ?? '';
  if (action !== 'ListRoles') return { ...renderIamError(400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`), action, params };
  const maxItems = Math.min(Math.max(Number(params['MaxItems'] ?? 100) || 100, 1), 1000);
  const start = params['Marker'] ? Number(params['Marker']) : 0;
  if (!Number.isInteger(start) || start < 0) return { ...renderIamError(400, 'ValidationError', 'Invalid Marker'), action, params };
  const page = roles.slice(start, start + maxItems);
  const truncated = start + maxItems < roles.length;
  const body = [
    `<ListRolesResponse xmlns="${NS}">`,
    '<ListRolesResult>',
    `<IsTruncated>${truncated}</IsTruncated>`,
    truncated ? `<Marker>${start + maxItems}</Marker>` : '',
    `<Roles>${page.map((r, i) => renderRole(r, account, start + i)).join('')}</Roles>`,
    '</ListRolesResult>',
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`,
    '</ListRolesResponse>',
  ].join('\n');
  return { status: 200, body, action, params, headers: { 'content-type': 'text/xml' } };
}
