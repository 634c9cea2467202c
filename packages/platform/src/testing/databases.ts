import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../database.ts';

/** Every engine the platform supports; repository tests run against each. */
export const testDialects: readonly Dialect[] = ['sqlite', 'mysql', 'postgres'];

export interface TestDatabase {
  readonly dialect: Dialect;
  readonly url: string;
  /** Drops the database (or removes the SQLite folder). */
  drop(): Promise<void>;
}

// Test runs reach the servers this machine kind provides; CI makes sure they are running.
const mysqlServerUrl = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const postgresServerUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Creates a fresh, empty database for one test suite on the given engine, named `ashapp_t_<random>`, so
 * suites never see each other's rows.
 */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const name = `ashapp_t_${randomBytes(6).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-sqlite-'));
    return {
      dialect,
      url: `file:${path.join(dir, `${name}.sqlite`)}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (dialect === 'mysql') {
    const admin = await createConnection(mysqlServerUrl);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    return {
      dialect,
      url: `${mysqlServerUrl.replace(/\/$/, '')}/${name}`,
      drop: async () => {
        const conn = await createConnection(mysqlServerUrl);
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await conn.end();
      },
    };
  }
  const admin = new pg.Client({ connectionString: postgresServerUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const base = new URL(postgresServerUrl);
  base.pathname = `/${name}`;
  return {
    dialect,
    url: base.toString(),
    drop: async () => {
      const conn = new pg.Client({ connectionString: postgresServerUrl });
      await conn.connect();
      await conn.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await conn.end();
    },
  };
}
