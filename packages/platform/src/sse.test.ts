import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { openEventStream, type EventStream } from './sse.ts';
import { waitFor } from './testing/wait-for.ts';

const payload = 'x'.repeat(2048);
const highWaterMark = 16 * 1024;

/**
 * A client that sends the request and reads nothing until `read()`: the kernel buffers fill and the
 * server sees a full socket (a stream without a data listener does not flow).
 */
function openPausedClient(
  port: number,
  path: string,
): { socket: Socket; read: () => void; received: () => string } {
  let text = '';
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
  return {
    socket,
    read: () => socket.on('data', (chunk: string) => (text += chunk)),
    received: () => text,
  };
}

describe('server-sent events', () => {
  let app: FastifyInstance;
  let port: number;
  const streams: EventStream[] = [];
  const peaks = { queuedEvents: 0, bufferedBytes: 0 };
  const observe = (stream: EventStream) => {
    const now = stream.backlog();
    peaks.queuedEvents = Math.max(peaks.queuedEvents, now.queuedEvents);
    peaks.bufferedBytes = Math.max(peaks.bufferedBytes, now.bufferedBytes);
  };
  let pushResult: { sent: number; dropped: number } = { sent: 0, dropped: 0 };
  let pullSent = 0;
  let onIdleClose = () => {};

  before(async () => {
    app = Fastify();
    // A producer that cannot wait (a live feed): 20,000 events of 2 KiB pushed at once, 40 MB in all.
    app.get('/push', async (request, reply) => {
      const stream = openEventStream(request, reply, { heartbeatMs: 5, maxQueuedEvents: 100 });
      streams.push(stream);
      pushResult = { sent: 0, dropped: 0 };
      for (let i = 0; i < 20_000; i += 1) {
        if (stream.send({ event: 'audit', id: i, data: { i, payload } })) pushResult.sent += 1;
        else pushResult.dropped += 1;
        observe(stream);
      }
      return reply;
    });
    // A producer that can wait (stored events): awaits writable() before each event, drops nothing.
    app.get('/pull', async (request, reply) => {
      const stream = openEventStream(request, reply, { heartbeatMs: 5, maxQueuedEvents: 100 });
      streams.push(stream);
      pullSent = 0;
      for (let i = 0; i < 5_000 && !stream.closed; i += 1) {
        await stream.writable();
        stream.send({ event: 'log', id: i, data: { i, payload } });
        pullSent += 1;
        observe(stream);
      }
      stream.send({ event: 'done', data: { sent: pullSent } });
      stream.end();
      return reply;
    });
    app.get('/idle', async (request, reply) => {
      const stream = openEventStream(request, reply, { heartbeatMs: 20 });
      stream.onClose(() => onIdleClose());
      return reply;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });

  after(async () => {
    for (const stream of streams) stream.end();
    await app.close();
  });

  test('a slow reader gets a bounded backlog, then a lagged event with what it missed', async () => {
    peaks.queuedEvents = 0;
    peaks.bufferedBytes = 0;
    const client = openPausedClient(port, '/push');
    await waitFor('the producer to finish', () => pushResult.sent + pushResult.dropped === 20_000, {
      intervalMs: 10,
    });
    // Memory held for the client is bounded by the queue and one socket buffer, not by 40 MB of events.
    assert.ok(peaks.queuedEvents <= 100, `queued ${peaks.queuedEvents}`);
    assert.ok(peaks.bufferedBytes <= highWaterMark + payload.length + 100, `buffered ${peaks.bufferedBytes}`);
    assert.ok(pushResult.dropped > 0, 'the kernel buffers cannot hold 40 MB: some events must be dropped');

    client.read();
    await waitFor('the lagged event', () => client.received().includes('event: lagged'), { intervalMs: 10 });
    const lagged = /event: lagged\ndata: (\{[^\n]*\})/.exec(client.received());
    assert.deepEqual(JSON.parse(lagged?.[1] ?? '{}'), { dropped: pushResult.dropped });
    const ids = [...client.received().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(ids.length, pushResult.sent, 'every event not dropped arrives');
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'in order',
    );
    client.socket.destroy();
  });

  test('a producer that awaits writable() sends everything in order with bounded memory', async () => {
    peaks.queuedEvents = 0;
    peaks.bufferedBytes = 0;
    const client = openPausedClient(port, '/pull');
    // The producer is held back by the paused client: far fewer than 5,000 events (10 MB) are out.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(pullSent < 5_000, `sent ${pullSent} to a client that reads nothing`);
    assert.equal(peaks.queuedEvents, 0, 'nothing queued: the producer waited');
    assert.ok(peaks.bufferedBytes <= highWaterMark + payload.length + 100, `buffered ${peaks.bufferedBytes}`);

    client.read();
    await waitFor('the done event', () => client.received().includes('event: done'), { intervalMs: 10 });
    const ids = [...client.received().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      ids,
      Array.from({ length: 5_000 }, (_, i) => i),
    );
    assert.doesNotMatch(client.received(), /event: lagged/);
    client.socket.destroy();
  });

  test('the stream closes and its close listeners run when the client goes away', async () => {
    let closedBy: string | undefined;
    onIdleClose = () => (closedBy = 'client');
    const client = openPausedClient(port, '/idle');
    client.read();
    await waitFor('a heartbeat', () => client.received().includes(': ping'), { intervalMs: 10 });
    assert.match(client.received(), /retry: 3000\n: connected\n\n/);
    client.socket.destroy();
    await waitFor('the close listener', () => closedBy === 'client', { intervalMs: 10 });
  });
});
