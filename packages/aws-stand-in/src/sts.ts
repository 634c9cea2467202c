import { randomUUID } from 'node:crypto';
import type { ServiceReply, StandInUser } from './types.ts';
import { escapeXml } from './types.ts';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function renderStsError(status: number, code: string, message: string): string {
  return `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`;
}

export function handleSts(user: StandInUser, params: Record<string, string>): ServiceReply {
  const action = params['Action'] ?? '';
  if (action === 'GetCallerIdentity') {
    const body = `<GetCallerIdentityResponse xmlns="${NS}">\n  <GetCallerIdentityResult>\n    <Arn>${escapeXml(user.arn)}</Arn>\n    <UserId>${escapeXml(user.userId ?? user.accessKeyId)}</UserId>\n    <Account>${escapeXml(user.account)}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`;
    return { status: 200, body, action, params, headers: { 'content-type': 'text/xml' } };
  }
  return {
    status: 400,
    body: renderStsError(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`),
    action,
    params,
    errorCode: 'InvalidAction',
    headers: { 'content-type': 'text/xml' },
  };
}
