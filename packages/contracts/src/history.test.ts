import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceClient, serviceIdentity, UpstreamError, verifyIdentity } from '@ashapp/platform';
import { createCapturingLogger } from '@ashapp/platform/testing';
import { createHistoryClient } from './history.ts';

const secret = 'contracts-test-secret-0123456789abcdef';

describe('history client', () => {
  const seen: { path: string | undefined; body: unknown; userId: string | undefined }[] = [];
  let server: Server;
  let baseUrl: string;

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const identity = verifyIdentity(req.headers['x-ashapp-identity'] as string | undefined, secret);
        const body = JSON.parse(text) as { query: string };
        seen.push({ path: req.url, body, userId: identity?.userId });
        const refused = body.query === 'refuse me';
        res.writeHead(refused ? 400 : 201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            refused
              ? { error: { code: 'INPUT_INVALID', message: 'no', requestId: 'r1' } }
              : { id: 'e1', created_at: '2026-01-01T00:00:00.000Z' },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () =>
    createHistoryClient({
      http: createServiceClient({
        name: 'history',
        baseUrl,
        identitySecret: secret,
        log: createCapturingLogger().log,
      }),
    });

  test('saves to POST /history/save with the identity given and returns the saved entry', async () => {
    const saved = await client().save({
      identity: serviceIdentity('deployer', 'req-1'),
      body: { query: 'deploy app', output: 'done', user_id: 'alice' },
    });
    assert.deepEqual(saved, { id: 'e1', created_at: '2026-01-01T00:00:00.000Z' });
    const last = seen.at(-1);
    assert.equal(last?.path, '/history/save');
    assert.deepEqual(last?.body, { query: 'deploy app', output: 'done', user_id: 'alice' });
    assert.equal(last?.userId, 'service:deployer');
  });

  test('throws an UpstreamError with the status and code when history refuses the entry', async () => {
    await assert.rejects(
      client().save({
        identity: serviceIdentity('assistant', 'req-2'),
        body: { query: 'refuse me', output: '' },
      }),
      (err: unknown) =>
        err instanceof UpstreamError &&
        err.details?.status === 400 &&
        err.details.code === 'INPUT_INVALID' &&
        err.details.service === 'history',
    );
  });
});
