/**
 * An STS stand-in for tests: a loopback HTTP server that speaks the real STS Query protocol
 * (POST form `Action=GetCallerIdentity&Version=2011-06-15`, XML answers) and verifies each request's
 * AWS Signature Version 4 against known test key pairs, so the real AWS SDK's success and error paths run.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInUser {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
  account: string;
  userId: string;
}

/** AWS's documented example key pair: recognisable, and matched by the platform's secret masking. */
export const testUsers = {
  alice: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    arn: 'arn:aws:iam::111122223333:user/team/alice',
    account: '111122223333',
    userId: 'AIDAALICEEXAMPLE00001',
  },
  bob: {
    accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
    secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
    arn: 'arn:aws:iam::444455556666:user/bob',
    account: '444455556666',
    userId: 'AIDABOBEXAMPLE0000002',
  },
  admin: {
    accessKeyId: 'AKIAJADMINEXAMPLE999',
    secretAccessKey: 'Xk9pQw2Lr7Zt4Vb8Nm3Hs6Jd1Fg5Ca0YEXAMPLE',
    arn: 'arn:aws:iam::777788889999:user/ops/admin-ann',
    account: '777788889999',
    userId: 'AIDAADMINEXAMPLE00003',
  },
} as const satisfies Record<string, StandInUser>;

export interface StsStandIn {
  readonly url: string;
  /** GetCallerIdentity calls answered so far (any outcome). */
  calls(): number;
  close(): Promise<void>;
}

const xmlns = 'https://sts.amazonaws.com/doc/2011-06-15/';

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sendError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function canonicalQuery(search: string): string {
  const params = [...new URLSearchParams(search)].map(
    ([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const,
  );
  params.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1));
  return params.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Checks the SigV4 signature; returns an STS error code or undefined when it is valid. */
function checkSignature(
  req: IncomingMessage,
  body: Buffer,
  users: readonly StandInUser[],
): { code: string; message: string } | { user: StandInUser } {
  const auth = req.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match)
    return { code: 'IncompleteSignature', message: 'Authorization header is not a SigV4 signature' };
  const [, keyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] = match;
  const user = users.find((u) => u.accessKeyId === keyId);
  if (!user)
    return {
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
    };
  if (service !== 'sts')
    return { code: 'SignatureDoesNotMatch', message: `credential scope names service ${service}` };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date))
    return { code: 'IncompleteSignature', message: 'x-amz-date does not match the scope' };
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return { code: 'IncompleteSignature', message: 'host must be signed' };
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256Hex(body));
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256Hex(body)) {
    return { code: 'SignatureDoesNotMatch', message: 'payload hash does not match the body' };
  }
  const canonicalRequest = [
    req.method,
    url.pathname,
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${user.secretAccessKey}`, date), region), service),
    'aws4_request',
  );
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { user };
}

/** Starts the stand-in on a free loopback port. */
export async function startStsStandIn(options: { users?: readonly StandInUser[] } = {}): Promise<StsStandIn> {
  const users = options.users ?? Object.values(testUsers);
  let calls = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      calls += 1;
      if (req.method !== 'POST') return sendError(res, 400, 'InvalidAction', 'STS takes POST requests');
      const form = new URLSearchParams(body.toString('utf8'));
      if (form.get('Action') !== 'GetCallerIdentity' || form.get('Version') !== '2011-06-15') {
        return sendError(res, 400, 'InvalidAction', `unsupported action ${form.get('Action') ?? ''}`);
      }
      const verdict = checkSignature(req, body, users);
      if ('code' in verdict) return sendError(res, 403, verdict.code, verdict.message);
      const { user } = verdict;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<GetCallerIdentityResponse xmlns="${xmlns}"><GetCallerIdentityResult>` +
          `<Arn>${escapeXml(user.arn)}</Arn><UserId>${user.userId}</UserId><Account>${user.account}</Account>` +
          `</GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
          `</GetCallerIdentityResponse>`,
      );
    })().catch(() => {
      if (!res.headersSent) sendError(res, 500, 'InternalFailure', 'stand-in failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
