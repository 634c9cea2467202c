import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../../test/harness.ts';
import { testUsers } from '@ashapp/aws-stand-in';

describe('the gateway tells services the host the user reached it by (X-Forwarded-Host)', () => {
  let upstream: Server;
  const seen: IncomingHttpHeaders[] = [];
  let gw: TestGateway;
  let proxied: TestGateway;
  let token: string;
  let proxiedToken: string;

  before(async () => {
    // Stands in for the deployer: records what the gateway forwards.
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const deployer = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    gw = await startTestGateway({ serviceUrls: { deployer } });
    proxied = await startTestGateway({ serviceUrls: { deployer }, env: { TRUST_PROXY: 'true' } });
    token = (await gw.login(testUsers.alice)).token;
    proxiedToken = (await proxied.login(testUsers.alice)).token;
  });
  after(async () => {
    await gw?.close();
    await proxied?.close();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  test('forwards the Host the browser sent, and ignores a client X-Forwarded-Host when no proxy is trusted', async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: '/deployer-api/capabilities',
      headers: {
        host: 'ashapp.example.com:8443',
        'x-forwarded-host': 'evil.example.net',
        authorization: `Bearer ${token}`,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(seen.at(-1)?.['x-forwarded-host'], 'ashapp.example.com:8443');
  });

  test('behind a trusted proxy, forwards the host the proxy says the user reached', async () => {
    const res = await proxied.app.inject({
      method: 'GET',
      url: '/deployer-api/capabilities',
      headers: {
        host: '10.0.0.5:8080',
        'x-forwarded-host': 'ashapp.example.com',
        authorization: `Bearer ${proxiedToken}`,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(seen.at(-1)?.['x-forwarded-host'], 'ashapp.example.com');
  });
});
