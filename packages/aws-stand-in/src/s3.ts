import { randomUUID } from 'node:crypto';
import type { ServiceReply, StandInUser } from './types.ts';
import { escapeXml } from './types.ts';

export function renderS3Error(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${fields}<RequestId>${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}</RequestId><HostId>stand-in</HostId></Error>`;
}

export interface S3State {
  buckets: Map<string, { created: Date; owner: string }>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function handleS3(state: S3State, user: StandInUser, method: string, rawUrl: string): ServiceReply {
  const url = new URL(rawUrl, 'http://stand-in');
  const [bucket, ...keyParts] = url.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const xml = { 'content-type': 'application/xml' };
  const params: Record<string, unknown> = {
    ...(bucket ? { Bucket: bucket } : {}),
    ...(keyParts.length > 0 ? { Key: keyParts.join('/') } : {}),
  };
  const fail = (
    status: number,
    action: string,
    code: string,
    message: string,
    extra: Record<string, string> = {},
  ): ServiceReply => ({
    status,
    body: renderS3Error(code, message, extra),
    action,
    params,
    errorCode: code,
    headers: xml,
  });
  if (!bucket) {
    if (method !== 'GET')
      return fail(
        405,
        'Unknown',
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
    const buckets = [...state.buckets.entries()]
      .filter(([, b]) => b.owner === user.account)
      .map(
        ([name, b]) =>
          `<Bucket><Name>${escapeXml(name)}</Name><CreationDate>${b.created.toISOString()}</CreationDate></Bucket>`,
      )
      .join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${escapeXml(user.account)}</ID><DisplayName>stand-in</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`;
    return { status: 200, body, action: 'ListBuckets', params, headers: xml };
  }
  const existing = state.buckets.get(bucket);
  if (method === 'PUT' && keyParts.length === 0) {
    if (!BUCKET_NAME.test(bucket))
      return fail(400, 'CreateBucket', 'InvalidBucketName', 'The specified bucket is not valid.', {
        BucketName: bucket,
      });
    if (existing) {
      return existing.owner === user.account
        ? fail(
            409,
            'CreateBucket',
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
            { BucketName: bucket },
          )
        : fail(409, 'CreateBucket', 'BucketAlreadyExists', 'The requested bucket name is not available.', {
            BucketName: bucket,
          });
    }
    state.buckets.set(bucket, { created: new Date(), owner: user.account });
    return { status: 200, body: '', action: 'CreateBucket', params, headers: { location: `/${bucket}` } };
  }
  if (!existing || existing.owner !== user.account) {
    const action = method === 'DELETE' ? 'DeleteBucket' : method === 'HEAD' ? 'HeadBucket' : 'ListObjectsV2';
    return fail(404, action, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  }
  if (method === 'DELETE' && keyParts.length === 0) {
    state.buckets.delete(bucket);
    return { status: 204, body: '', action: 'DeleteBucket', params };
  }
  if (method === 'HEAD' && keyParts.length === 0)
    return { status: 200, body: '', action: 'HeadBucket', params };
  if (method === 'GET' && keyParts.length === 0) {
    const prefix = url.searchParams.get('prefix') ?? '';
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;
    return {
      status: 200,
      body,
      action: 'ListObjectsV2',
      params: { ...params, Prefix: prefix },
      headers: xml,
    };
  }
  return fail(
    501,
    'Unknown',
    'NotImplemented',
    'A header you provided implies functionality that is not implemented',
  );
}
