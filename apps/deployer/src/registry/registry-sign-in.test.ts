import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError, NotAuthenticatedError, UpstreamError } from '@ashapp/platform';
import {
  createRegistrySignInChecker,
  parseAuthenticateHeader,
  resolveRegistryHost,
} from './registry-sign-in.ts';
import { readEcrRegistryLogin } from './ecr-sign-in.ts';
import { startLocalRegistry, type LocalRegistry } from '../../test/local-registry.ts';

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; host: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('registry hosts and challenges', () => {
  test('maps Docker Hub names to its API host and keeps other hosts', () => {
    assert.deepEqual(resolveRegistryHost(undefined), {
      imageHost: 'docker.io',
      apiHost: 'registry-1.docker.io',
    });
    assert.deepEqual(resolveRegistryHost('index.docker.io'), {
      imageHost: 'docker.io',
      apiHost: 'registry-1.docker.io',
    });
    assert.deepEqual(resolveRegistryHost('ghcr.io'), { imageHost: 'ghcr.io', apiHost: 'ghcr.io' });
    assert.throws(() => resolveRegistryHost('ghcr.io/evil?x'), InputError);
  });

  test('parses Bearer and Basic challenges', () => {
    assert.deepEqual(
      parseAuthenticateHeader('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'),
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' } },
    );
    assert.deepEqual(parseAuthenticateHeader('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
  });
});

describe('registry sign-in against a real docker-registry with htpasswd (Basic)', () => {
  let registry: LocalRegistry;
  before(async () => {
    registry = await startLocalRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  test('accepts the right credentials (401 then 200)', async () => {
    const checker = createRegistrySignInChecker({ insecureRegistries: [registry.host] });
    const result = await checker.verifyCredentials({
      registry: registry.host,
      credentials: { username: registry.username, password: registry.password },
    });
    assert.deepEqual(result, { registry: registry.host, apiHost: registry.host, scheme: 'basic' });
  });

  test('refuses wrong credentials with 401 NotAuthenticated', async () => {
    const checker = createRegistrySignInChecker({ insecureRegistries: [registry.host] });
    await assert.rejects(
      checker.verifyCredentials({
        registry: registry.host,
        credentials: { username: registry.username, password: 'nope' },
      }),
      NotAuthenticatedError,
    );
  });

  test('does not talk plain HTTP to a host that is not listed as insecure', async () => {
    const checker = createRegistrySignInChecker({ insecureRegistries: [], timeoutMs: 3000 });
    await assert.rejects(
      checker.verifyCredentials({
        registry: registry.host,
        credentials: { username: registry.username, password: registry.password },
      }),
      UpstreamError,
    );
  });
});

describe('registry sign-in with a Bearer token realm (stand-in registry + token server)', () => {
  let registryServer: Server;
  let realmServer: Server;
  let registryHost = '';
  let realmHost = '';
  const issued = new Set<string>();
  const realmRequests: URL[] = [];

  before(async () => {
    const realm = await listen((req, res) => {
      const url = new URL(req.url ?? '/', `http://${realmHost}`);
      realmRequests.push(url);
      const expected = `Basic ${Buffer.from('octo:ghp_right').toString('base64')}`;
      if (url.pathname !== '/token' || req.headers.authorization !== expected) {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"details":"incorrect username or password"}');
        return;
      }
      const token = `tok-${issued.size + 1}`;
      issued.add(token);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: 300 }));
    });
    realmServer = realm.server;
    realmHost = realm.host;
    const registry = await listen((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (req.url === '/v2/' && auth.startsWith('Bearer ') && issued.has(auth.slice(7))) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      res
        .writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="http://${realmHost}/token",service="stand-in.registry"`,
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    });
    registryServer = registry.server;
    registryHost = registry.host;
  });
  after(async () => {
    await close(registryServer);
    await close(realmServer);
  });

  test('fetches a token from the realm with Basic credentials and retries /v2/ with it', async () => {
    const checker = createRegistrySignInChecker({ insecureRegistries: [registryHost, realmHost] });
    const result = await checker.verifyCredentials({
      registry: registryHost,
      credentials: { username: 'octo', password: 'ghp_right' },
    });
    assert.equal(result.scheme, 'bearer');
    const last = realmRequests.at(-1);
    assert.equal(last?.searchParams.get('service'), 'stand-in.registry');
    assert.equal(last?.searchParams.get('account'), 'octo');
  });

  test('refuses credentials the token realm rejects', async () => {
    const checker = createRegistrySignInChecker({ insecureRegistries: [registryHost, realmHost] });
    await assert.rejects(
      checker.verifyCredentials({
        registry: registryHost,
        credentials: { username: 'octo', password: 'wrong' },
      }),
      NotAuthenticatedError,
    );
  });

  test('never sends credentials to a plain-HTTP realm that is not listed as insecure', async () => {
    const before = realmRequests.length;
    const checker = createRegistrySignInChecker({ insecureRegistries: [registryHost] });
    await assert.rejects(
      checker.verifyCredentials({
        registry: registryHost,
        credentials: { username: 'octo', password: 'ghp_right' },
      }),
      /not https/,
    );
    assert.equal(realmRequests.length, before);
  });
});

describe('ECR sign-in through the AWS session (stand-in ECR API speaking awsJson1_1)', () => {
  let server: Server;
  let host = '';
  const seen: Array<{ target: string | undefined; authorization: string | undefined }> = [];
  before(async () => {
    const started = await listen((req, res) => {
      seen.push({
        target: req.headers['x-amz-target'] as string | undefined,
        authorization: req.headers.authorization,
      });
      req.resume();
      req.on('end', () => {
        if (!(req.headers.authorization ?? '').includes('Credential=AKIAGOODKEY/')) {
          res
            .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
            .end(
              JSON.stringify({
                __type: 'UnrecognizedClientException',
                message: 'The security token included in the request is invalid.',
              }),
            );
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(
          JSON.stringify({
            authorizationData: [
              {
                authorizationToken: Buffer.from('AWS:ecr-password-123').toString('base64'),
                expiresAt: 1893456000,
                proxyEndpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
              },
            ],
          }),
        );
      });
    });
    server = started.server;
    host = started.host;
  });
  after(async () => {
    await close(server);
  });

  test('returns user AWS, the password and the registry host from GetAuthorizationToken', async () => {
    const login = await readEcrRegistryLogin({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAGOODKEY', secretAccessKey: 'secret' },
      endpoint: `http://${host}`,
    });
    assert.equal(login.registry, '123456789012.dkr.ecr.us-east-1.amazonaws.com');
    assert.equal(login.username, 'AWS');
    assert.equal(login.password, 'ecr-password-123');
    assert.equal(seen.at(-1)?.target, 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    assert.match(
      seen.at(-1)?.authorization ?? '',
      /^AWS4-HMAC-SHA256 Credential=AKIAGOODKEY\/\d{8}\/us-east-1\/ecr\/aws4_request/,
    );
  });

  test('maps refused AWS credentials to 401', async () => {
    await assert.rejects(
      readEcrRegistryLogin({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIABADKEY', secretAccessKey: 'x' },
        endpoint: `http://${host}`,
      }),
      NotAuthenticatedError,
    );
  });
});
