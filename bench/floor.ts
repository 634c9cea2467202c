// What the issue 11 ratios leave room for: the same save and page done by the smallest servers that still do
// the work (a bare Node POST, Fastify alone, Fastify with one SQLite transaction per request or per group),
// each beside a bare Node run in the same minute. Nothing of the services runs here but the platform's group
// commit: no identity check, no validation, no audit, no masking, no logging; each row is a floor the
// service cannot go below.
// Usage: npm run bench -- floor [--seconds N]
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createGroupCommit } from '@ashapp/platform';
import SQLite from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { runWrk, type BenchContext, type BenchRow } from './lib.ts';

/** Rows in the page floor's table, half of them the user's (history's own bench pages through 1 M). */
const pageRows = 200_000;
const user = 'arn:aws:iam::123456789012:user/bench';
const saveBody = JSON.stringify({
  query: 'list ec2 instance ids',
  output: '[{"InstanceId":"i-0123456789abcdef0"}]',
});
const post = {
  method: 'POST' as const,
  body: saveBody,
  headers: { 'content-type': 'application/json' },
};

/** A file database shaped like history's: the entry table and its page index, plus an outbox row per save. */
function openDatabase(dir: string): SQLite.Database {
  const db = new SQLite(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    create table history_entries (id varchar(36) primary key, user_id varchar(512) not null,
      created_at bigint not null, query text not null, output text not null);
    create index history_entries_user_time_idx on history_entries (user_id, created_at, id);
    create table audit_outbox (id varchar(36) primary key, created_at bigint not null, event text not null);
    create index audit_outbox_created_idx on audit_outbox (created_at, id);
  `);
  return db;
}

type Save = { query: string; output: string };

function saveStatements(db: SQLite.Database) {
  const entry = db.prepare('insert into history_entries values (?, ?, ?, ?, ?)');
  const outbox = db.prepare('insert into audit_outbox values (?, ?, ?)');
  return db.transaction((saves: readonly Save[]) => {
    for (const save of saves) {
      const id = randomUUID();
      const at = Date.now();
      entry.run(id, user, at, save.query, save.output);
      outbox.run(randomUUID(), at, JSON.stringify({ action_type: 'history.save', id }));
    }
  });
}

async function closeBoth(app: FastifyInstance, db: SQLite.Database): Promise<void> {
  await app.close();
  db.close();
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

interface Floor {
  name: string;
  start(dir: string): Promise<{ url: string; close(): Promise<void> }>;
  wrk: typeof post | { headers: Record<string, string> };
}

const answer = () => ({ id: randomUUID(), created_at: new Date().toISOString() });

const floors: Floor[] = [
  {
    name: 'node:http POST: read the body, JSON.parse, answer 201',
    wrk: post,
    async start() {
      const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const body = JSON.stringify(answer());
          res.writeHead(201, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/save`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
  },
  {
    name: 'Fastify POST, no logger: parse, answer 201',
    wrk: post,
    async start() {
      const app = Fastify({ logger: false });
      app.post('/save', async (_request, reply) => reply.code(201).send(answer()));
      return { url: `${await listen(app)}/save`, close: () => app.close() };
    },
  },
  {
    name: 'Fastify POST + one SQLite transaction per save (entry + outbox row)',
    wrk: post,
    async start(dir) {
      const db = openDatabase(dir);
      const saveAll = saveStatements(db);
      const app = Fastify({ logger: false });
      app.post('/save', async (request, reply) => {
        saveAll([request.body as Save]);
        return reply.code(201).send(answer());
      });
      const url = `${await listen(app)}/save`;
      return { url, close: () => closeBoth(app, db) };
    },
  },
  {
    name: 'Fastify POST + SQLite, concurrent saves in one transaction (group commit)',
    wrk: post,
    async start(dir) {
      const db = openDatabase(dir);
      const saveAll = saveStatements(db);
      // The service's own group commit (ADR 0019), around the bare statements.
      const saves = createGroupCommit<Save, void>({ run: async (batch) => saveAll(batch) });
      const app = Fastify({ logger: false });
      app.post('/save', async (request, reply) => {
        await saves.submit(request.body as Save);
        return reply.code(201).send(answer());
      });
      const url = `${await listen(app)}/save`;
      return { url, close: () => closeBoth(app, db) };
    },
  },
  {
    name: `Fastify GET + SQLite: a user's first 50 rows of ${pageRows} (prepared, raw), JSON.stringify`,
    wrk: { headers: {} },
    async start(dir) {
      const db = openDatabase(dir);
      const insert = db.prepare('insert into history_entries values (?, ?, ?, ?, ?)');
      const output = JSON.stringify({
        Reservations: [{ Instances: [{ InstanceId: 'i-0123456789abcdef0' }] }],
      });
      db.transaction(() => {
        for (let i = 0; i < pageRows; i += 1) {
          const owner = i % 2 === 0 ? user : `arn:aws:iam::123456789012:user/other-${i % 100}`;
          insert.run(randomUUID(), owner, Date.UTC(2025, 0, 1) + i * 10, `list ec2 instances ${i}`, output);
        }
      })();
      db.exec('analyze');
      const page = db
        .prepare(
          'select id, query, output, created_at, user_id from history_entries where user_id = ? ' +
            'order by created_at desc, id desc limit 51',
        )
        .raw(true);
      const app = Fastify({ logger: false });
      app.get('/list', async () => {
        const rows = page.all(user) as Array<[string, string, string, number, string]>;
        return {
          items: rows.slice(0, 50).map(([id, query, out, at, owner]) => ({
            id,
            query,
            output: out,
            created_at: new Date(at).toISOString(),
            user_id: owner,
          })),
          next_cursor: 'x',
        };
      });
      const url = `${await listen(app)}/list`;
      return { url, close: () => closeBoth(app, db) };
    },
  },
];

/** `npm run bench -- floor`: each floor beside a bare Node run of the same minute. */
export async function benchFloor(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const floor of floors) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-floor-'));
    const server = await floor.start(dir);
    try {
      const bare = await ctx.measureBare();
      await runWrk(server.url, { ...floor.wrk, durationSeconds: 1 });
      const run = await runWrk(server.url, { ...floor.wrk, durationSeconds: ctx.durationSeconds });
      if (run.errors > 0) throw new Error(`${floor.name}: ${run.errors} errors`);
      ctx.log(`${floor.name}: ${Math.round(run.rps)} req/s, ${(run.rps / bare.rps).toFixed(2)}× bare`);
      rows.push({
        scenario: floor.name,
        engine: floor.name.includes('SQLite') ? 'sqlite' : '',
        rps: run.rps,
        p50Ms: run.p50Ms,
        p99Ms: run.p99Ms,
        ratioToBare: run.rps / bare.rps,
        note: `bare ${Math.round(bare.rps)} req/s`,
      });
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
