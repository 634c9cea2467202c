import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createDatabase,
  createId,
  identityHeader,
  runMigrations,
  signIdentity,
  type Database,
  type Role,
  type ServiceApp,
} from '@ashapp/platform';
import { createCapturingLogger, createTestDatabase, type TestDatabase } from '@ashapp/platform/testing';
import { buildApp } from '../app.ts';
import { createInMemoryEventBus, type EventBus } from './event-bus.ts';
import { createMonitorMigrations, type MonitorTables } from './events-repository.ts';
import type { EventView } from '@ashapp/contracts/monitor';

const secret = 'test-secret-test-secret-test-secret-0123456789';
const alice = 'arn:aws:iam::111111111111:user/alice';
const bob = 'arn:aws:iam::111111111111:user/bob';

function as(userId: string, roles: Role[] = ['user']): Record<string, string> {
  return { [identityHeader]: signIdentity({ userId, roles, requestId: createId() }, secret) };
}

interface Frame {
  event: string | undefined;
  id: string | undefined;
  data: string | undefined;
  comment: string | undefined;
}

/** Reads server-sent event frames from a fetch response, as a browser's EventSource would. */
function readFrames(res: Response): { next(timeoutMs?: number): Promise<Frame>; cancel(): Promise<void> } {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = { event: undefined, id: undefined, data: undefined, comment: undefined };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('data: ')) frame.data = line.slice(6);
          }
          return frame;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no server-sent event frame in time');
        const chunk = await Promise.race([reader.read(), delay(left).then(() => undefined)]);
        if (!chunk) throw new Error('no server-sent event frame in time');
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('monitor live feed over a listening server', () => {
  let testDb: TestDatabase;
  let database: Database<MonitorTables>;
  let bus: EventBus;
  let app: ServiceApp;
  let baseUrl: string;

  before(async () => {
    testDb = await createTestDatabase('sqlite');
    database = createDatabase<MonitorTables>({ url: testDb.url });
    await runMigrations(database.db, 'monitor', createMonitorMigrations(database.dialect));
    bus = createInMemoryEventBus();
    app = await buildApp({
      config: {
        internalAuthSecret: secret,
        maxFieldBytes: 64 * 1024,
        bodyLimitBytes: 32 * 1024 * 1024,
        heartbeatMs: 200,
      },
      log: createCapturingLogger('monitor').log,
      database,
      bus,
    });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await database.close();
    await testDb.drop();
  });

  async function logEvent(headers: Record<string, string>, body: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${baseUrl}/monitor/log`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'deployer', endpoint: '/deployer-api/deploy', ...body }),
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  }

  async function openStream(headers: Record<string, string>, query: string, signal: AbortSignal) {
    const res = await fetch(`${baseUrl}/monitor/events/stream${query}`, { headers, signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const frames = readFrames(res);
    const hello = await frames.next();
    assert.equal(hello.comment, 'connected');
    return frames;
  }

  async function nextAudit(
    frames: ReturnType<typeof readFrames>,
  ): Promise<{ id: string | undefined; event: EventView }> {
    for (let i = 0; i < 50; i += 1) {
      const frame = await frames.next();
      if (frame.event === 'audit') return { id: frame.id, event: JSON.parse(frame.data ?? '') as EventView };
    }
    throw new Error('only heartbeats arrived');
  }

  test("delivers a user's own matching events only, never another user's", async () => {
    const controller = new AbortController();
    // Asking for bob's events does not widen a user's view.
    const frames = await openStream(
      as(alice),
      // A user's own events are stored as `user.<action>` (issue 8: users cannot claim platform actions).
      `?action_type=user.deploy-app&user_id=${encodeURIComponent(bob)}`,
      controller.signal,
    );
    try {
      await logEvent(as(bob), { action_type: 'deploy-app', request_data: { app_name: 'bobs' } });
      await logEvent(as(alice), { action_type: 'validate-code', request_data: { app_name: 'filtered-out' } });
      const wanted = await logEvent(as(alice), {
        action_type: 'deploy-app',
        request_data: { app_name: 'mine', password: 'p4ss-word' },
      });
      const { id, event } = await nextAudit(frames);
      // Events are published in ingest order: the first that arrives must be the matching one.
      assert.equal(id, wanted);
      assert.equal(event.id, wanted);
      assert.equal(event.user_id, alice);
      assert.deepEqual(event.request_data, { app_name: 'mine', password: '***' });
    } finally {
      controller.abort();
    }
  });

  test("lets an admin follow everyone's events and sends heartbeat comments", async () => {
    const controller = new AbortController();
    const frames = await openStream(
      as('admin-user', ['user', 'admin']),
      '?service=history',
      controller.signal,
    );
    try {
      const heartbeat = await frames.next(2000);
      assert.equal(heartbeat.comment, 'ping');
      // A history event comes from the history service (a user cannot claim one), on bob's behalf.
      const id = await logEvent(as('service:history', ['service']), {
        user_id: bob,
        service: 'history',
        action_type: 'history.save',
      });
      const { event } = await nextAudit(frames);
      assert.equal(event.id, id);
      assert.equal(event.user_id, bob);
    } finally {
      controller.abort();
    }
  });

  test('removes the listener when the client disconnects', async () => {
    const controller = new AbortController();
    await openStream(as(alice), '', controller.signal);
    assert.equal(bus.listenerCount(), 1);
    controller.abort();
    for (let i = 0; i < 50 && bus.listenerCount() > 0; i += 1) await delay(20);
    assert.equal(bus.listenerCount(), 0);
  });

  test('drops events for a client that does not read, tells it so, and never blocks publishing', async () => {
    const controller = new AbortController();
    const frames = await openStream(as(alice), '', controller.signal);
    try {
      const filler = 'y'.repeat(16 * 1024);
      const started = Date.now();
      // ~50 MB for one connection that is not being read: far beyond socket buffers plus the queue bound.
      for (let i = 0; i < 3000; i += 1) {
        bus.publish([
          {
            id: createId(),
            timestamp: new Date().toISOString(),
            user_id: alice,
            service: 'bench',
            endpoint: '/x',
            action_type: 'flood',
            request_data: { filler },
            response_summary: null,
            ip_address: null,
            user_agent: null,
            request_id: null,
          },
        ]);
      }
      assert.ok(Date.now() - started < 5000, 'publishing waited for a slow client');
      let lagged: Frame | undefined;
      for (let i = 0; i < 4000 && !lagged; i += 1) {
        const frame = await frames.next();
        if (frame.event === 'lagged') lagged = frame;
      }
      assert.ok(lagged, 'no lagged notice arrived');
      assert.ok((JSON.parse(lagged.data ?? '{}') as { dropped: number }).dropped > 0);
    } finally {
      controller.abort();
    }
  });
});
