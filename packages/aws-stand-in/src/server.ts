import { createServer as createHttp1Server } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { handleBedrock, restJsonError } from './bedrock.ts';
import { createCodeBuildState, handleCodeBuild, jsonError } from './codebuild.ts';
import { createLogsState, handleLogs } from './logs.ts';
import { handleEc2, renderEc2Error } from './ec2.ts';
import { DEFAULT_STAND_IN_ROLES, handleIam, type StandInRole } from './iam.ts';
import { handleS3, renderS3Error } from './s3.ts';
import { parseAuthorization, verifySignature } from './sigv4.ts';
import { handleSts, renderStsError } from './sts.ts';
import type {
  BedrockAnswer,
  BedrockConverseRequest,
  ServiceReply,
  StandInCall,
  StandInInstance,
  StandInLogGroup,
  StandInUser,
} from './types.ts';

export interface AwsStandInOptions {
  users: StandInUser[];
  /** EC2 instances the stand-in starts with; a few running and stopped ones by default. */
  instances?: StandInInstance[];
  buckets?: string[];
  /** Clock (epoch ms) and id source for CodeBuild; fixed ones make two stand-ins answer the same. */
  clock?: () => number;
  newId?: () => string;
  /** CloudWatch Logs groups the stand-in starts with. */
  logGroups?: StandInLogGroup[];
  /** Bedrock Converse answer; defaults to prose (which a planner must refuse). */
  bedrock?: (request: BedrockConverseRequest) => BedrockAnswer;
  /** Artificial delay before answering an action (e.g. `{ DescribeInstances: 10_000 }`), for timeout tests. */
  delaysMs?: Record<string, number>;
  /** IAM roles ListRoles answers (in the first user's account). */
  roles?: StandInRole[];
  /**
   * Address to listen on; 127.0.0.1 by default. Tests that run containers on a bridge the test creates
   * give that bridge's host address (never 0.0.0.0 or a public interface).
   */
  host?: string;
}

export interface AwsStandIn {
  /** Base URL, e.g. http://127.0.0.1:41234 — pass it as the endpoint override. */
  url: string;
  /** Every request received, in order, including rejected ones. */
  calls: StandInCall[];
  instances: StandInInstance[];
  buckets(): string[];
  /** Names of the log groups that exist now (sorted). */
  logGroups(): string[];
  setBedrockAnswer(answer: (request: BedrockConverseRequest) => BedrockAnswer): void;
  close(): Promise<void>;
}

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const S3_SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const MAX_BODY = 10 * 1024 * 1024;

export const DEFAULT_STAND_IN_INSTANCES: readonly StandInInstance[] = [
  {
    instanceId: 'i-0a1b2c3d4e5f60001',
    state: 'running',
    name: 'web-1',
    instanceType: 't3.micro',
    publicIpAddress: '203.0.113.10',
    tags: { Env: 'prod' },
  },
  {
    instanceId: 'i-0a1b2c3d4e5f60002',
    state: 'running',
    name: 'web-2',
    instanceType: 't3.small',
    tags: { Env: 'prod' },
  },
  {
    instanceId: 'i-0a1b2c3d4e5f60003',
    state: 'stopped',
    name: 'batch',
    instanceType: 'm5.large',
    tags: { Env: 'dev' },
  },
];

type AuthFailure = 'unknown-key' | 'bad-signature' | 'expired' | 'missing';

function renderAuthError(
  service: string,
  failure: AuthFailure,
  accessKeyId: string | undefined,
): ServiceReply {
  const params = {};
  const action = 'Unknown';
  switch (service) {
    case 'ec2': {
      const code = failure === 'missing' ? 'MissingAuthenticationToken' : 'AuthFailure';
      return {
        status: 401,
        body: renderEc2Error(code, 'AWS was not able to validate the provided access credentials'),
        action,
        params,
        errorCode: code,
        headers: { 'content-type': 'text/xml' },
      };
    }
    case 's3': {
      const [code, message] =
        failure === 'unknown-key'
          ? ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.']
          : failure === 'expired'
            ? ['ExpiredToken', 'The provided token has expired.']
            : failure === 'missing'
              ? ['AccessDenied', 'Access Denied']
              : ['SignatureDoesNotMatch', S3_SIGNATURE_MESSAGE];
      const extra: Record<string, string> = accessKeyId ? { AWSAccessKeyId: accessKeyId } : {};
      return {
        status: failure === 'expired' ? 400 : 403,
        body: renderS3Error(code, message, extra),
        action,
        params,
        errorCode: code,
        headers: { 'content-type': 'application/xml' },
      };
    }
    case 'codebuild':
    case 'logs': {
      const [code, message] =
        failure === 'unknown-key'
          ? ['UnrecognizedClientException', 'The security token included in the request is invalid.']
          : failure === 'expired'
            ? ['ExpiredTokenException', 'The security token included in the request is expired']
            : failure === 'missing'
              ? ['MissingAuthenticationTokenException', 'Missing Authentication Token']
              : ['InvalidSignatureException', SIGNATURE_MESSAGE];
      return jsonError(action, params, 400, code, message);
    }
    case 'bedrock': {
      const [code, message] =
        failure === 'unknown-key'
          ? ['UnrecognizedClientException', 'The security token included in the request is invalid.']
          : failure === 'expired'
            ? ['ExpiredTokenException', 'The security token included in the request is expired']
            : ['InvalidSignatureException', SIGNATURE_MESSAGE];
      return restJsonError(403, code, message, action, params);
    }
    default: {
      const [code, message] =
        failure === 'unknown-key'
          ? ['InvalidClientTokenId', 'The security token included in the request is invalid.']
          : failure === 'expired'
            ? ['ExpiredToken', 'The security token included in the request is expired']
            : failure === 'missing'
              ? ['MissingAuthenticationToken', 'Request is missing Authentication Token']
              : ['SignatureDoesNotMatch', SIGNATURE_MESSAGE];
      return {
        status: failure === 'expired' ? 400 : 403,
        body: renderStsError(403, code, message),
        action,
        params,
        errorCode: code,
        headers: { 'content-type': 'text/xml' },
      };
    }
  }
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

function readBody(req: AnyRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer | string) => {
      if (typeof chunk === 'string') chunk = Buffer.from(chunk);
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function guessService(req: AnyRequest, body: Buffer): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('CodeBuild_')) return 'codebuild';
  if (target.startsWith('Logs_')) return 'logs';
  if ((req.url ?? '').startsWith('/model/')) return 'bedrock';
  const text = body.toString('utf8');
  if (/Version=2016-11-15/.test(text)) return 'ec2';
  if (/Version=2011-06-15/.test(text)) return 'sts';
  if (/Version=2010-05-08/.test(text)) return 'iam';
  return 's3';
}

/**
 * Starts an AWS stand-in on 127.0.0.1 (random port) that checks SigV4 signatures against the given test
 * users and answers STS, EC2, S3, CodeBuild, CloudWatch Logs and Bedrock Converse in their real wire
 * formats, recording every call it receives.
 */
export async function startAwsStandIn(options: AwsStandInOptions): Promise<AwsStandIn> {
  const users = new Map(options.users.map((u) => [u.accessKeyId, u]));
  const ec2 = { instances: (options.instances ?? DEFAULT_STAND_IN_INSTANCES).map((i) => ({ ...i })) };
  const s3 = { buckets: new Map<string, { created: Date; owner: string }>() };
  const firstAccount = options.users[0]?.account ?? '000000000000';
  for (const name of options.buckets ?? [])
    s3.buckets.set(name, { created: new Date('2026-01-01T00:00:00Z'), owner: firstAccount });
  const codebuild = createCodeBuildState(options.clock, options.newId);
  const logs = createLogsState(options.logGroups ?? []);
  let bedrockAnswer =
    options.bedrock ?? ((): BedrockAnswer => ({ text: 'I would run aws ec2 describe-instances for you.' }));
  const calls: StandInCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  async function route(
    req: AnyRequest,
  ): Promise<ServiceReply & { service: string; accessKeyId: string | undefined }> {
    const body = await readBody(req);
    const auth = parseAuthorization(req.headers['authorization']);
    const service = auth?.service ?? guessService(req, body);
    if (!auth) return { ...renderAuthError(service, 'missing', undefined), service, accessKeyId: undefined };
    const user = users.get(auth.accessKeyId);
    // HTTP/2 clients (the Bedrock SDK) send the signed host as the :authority pseudo-header.
    const headers = { ...req.headers, host: req.headers['host'] ?? req.headers[':authority'] };
    const signed = { method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers, body };
    if (!user)
      return {
        ...renderAuthError(service, 'unknown-key', auth.accessKeyId),
        service,
        accessKeyId: auth.accessKeyId,
      };
    if (!verifySignature(signed, auth, user.secretAccessKey)) {
      return {
        ...renderAuthError(service, 'bad-signature', auth.accessKeyId),
        service,
        accessKeyId: auth.accessKeyId,
      };
    }
    const token = req.headers['x-amz-security-token'];
    if (user.sessionToken !== undefined && token !== user.sessionToken) {
      return {
        ...renderAuthError(service, 'unknown-key', auth.accessKeyId),
        service,
        accessKeyId: auth.accessKeyId,
      };
    }
    if (user.expired)
      return {
        ...renderAuthError(service, 'expired', auth.accessKeyId),
        service,
        accessKeyId: auth.accessKeyId,
      };

    const common = { service, accessKeyId: auth.accessKeyId };
    const form = (): Record<string, string> => Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const json = (): Record<string, unknown> => {
      const text = body.toString('utf8');
      return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    };
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    switch (service) {
      case 'sts':
        return { ...handleSts(user, form()), ...common };
      case 'ec2':
        return { ...handleEc2(ec2, user, form()), ...common };
      case 'iam':
        return { ...handleIam(options.roles ?? DEFAULT_STAND_IN_ROLES, user.account, form()), ...common };
      case 's3':
        return { ...handleS3(s3, user, req.method ?? 'GET', req.url ?? '/'), ...common };
      case 'codebuild':
        return { ...handleCodeBuild(codebuild, user, auth.region, operation, json()), ...common };
      case 'logs':
        return { ...handleLogs(logs, codebuild, user, auth.region, operation, json()), ...common };
      case 'bedrock':
        return {
          ...handleBedrock(req.url ?? '/', req.method ?? 'GET', body, (r) => bedrockAnswer(r)),
          ...common,
        };
      default:
        return { ...renderAuthError('sts', 'unknown-key', auth.accessKeyId), ...common };
    }
  }

  function send(res: AnyResponse, reply: ServiceReply): void {
    res.writeHead(reply.status, {
      'content-length': Buffer.byteLength(reply.body),
      ...(reply.headers ?? {}),
    });
    res.end(reply.body);
  }

  const listener = (req: AnyRequest, res: AnyResponse): void => {
    route(req).then(
      (reply) => {
        calls.push({
          service: reply.service,
          action: reply.action,
          accessKeyId: reply.accessKeyId,
          params: reply.params,
          dryRun: reply.dryRun ?? false,
          status: reply.status,
          ...(reply.errorCode ? { errorCode: reply.errorCode } : {}),
        });
        const delay = options.delaysMs?.[reply.action] ?? 0;
        if (delay <= 0) {
          send(res, reply);
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) send(res, reply);
        }, delay);
        timers.add(timer);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`stand-in error: ${(err as Error).message}`);
      },
    );
  };
  const http1 = createHttp1Server(listener);
  const http2 = createHttp2Server(listener);
  // One port for both protocols: the CLI speaks HTTP/1.1, the Bedrock SDK HTTP/2 with prior knowledge,
  // which announces itself with the "PRI * HTTP/2.0" preface.
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 3).toString('latin1') !== 'PRI') {
        socket.pause();
        socket.unshift(chunk);
        http1.emit('connection', socket);
        socket.resume();
        return;
      }
      // HTTP/2 sessions read the socket's native handle, which would miss the bytes already read; hand
      // them a stream that replays the preface and then relays the socket.
      const relay = new Duplex({
        read() {},
        write(data: Buffer, _encoding, callback) {
          socket.write(data, callback);
        },
        final(callback) {
          socket.end(callback);
        },
        destroy(err, callback) {
          socket.destroy();
          callback(err);
        },
      });
      relay.push(chunk);
      socket.on('data', (data: Buffer) => relay.push(data));
      socket.on('end', () => relay.push(null));
      socket.on('error', (err) => relay.destroy(err));
      http2.emit('connection', relay);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    calls,
    instances: ec2.instances,
    buckets: () => [...s3.buckets.keys()].sort(),
    logGroups: () => [...logs.groups.keys()].sort(),
    setBedrockAnswer(answer) {
      bedrockAnswer = answer;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      http1.close();
      http2.close();
    },
  };
}
