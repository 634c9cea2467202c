import type { Database } from '@ashapp/platform';
import type { Kysely, Migration } from 'kysely';

export interface RegistryLoginTables {
  registry_logins: {
    user_id: string;
    session_id: string;
    /** Host as images name it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
    registry: string;
    username: string;
    /** `{username, password}` sealed with the secret box; AAD binds it to user and session. */
    sealed: string;
    created_at: number;
    expires_at: number;
  };
}

export type RegistryLoginRow = RegistryLoginTables['registry_logins'];

/** Part of the deployer's migrations (see `createDeployerMigrations`). */
export const createRegistryLoginsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('registry_logins')
      .addColumn('user_id', 'varchar(512)', (c) => c.notNull())
      .addColumn('session_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('registry', 'varchar(255)', (c) => c.notNull())
      .addColumn('username', 'varchar(255)', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('registry_logins_pk', ['user_id', 'session_id'])
      .execute();
    await db.schema
      .createIndex('registry_logins_expiry_idx')
      .on('registry_logins')
      .column('expires_at')
      .execute();
  },
};

export interface RegistryLoginsRepository {
  /** One sign-in per user session: a new one replaces the last. */
  save(row: RegistryLoginRow): Promise<void>;
  get(userId: string, sessionId: string): Promise<RegistryLoginRow | undefined>;
  remove(userId: string, sessionId: string): Promise<boolean>;
  removeExpired(now: number): Promise<number>;
}

export function createRegistryLoginsRepository(
  database: Database<RegistryLoginTables>,
): RegistryLoginsRepository {
  const { db } = database;
  return {
    async save(row) {
      // Delete then insert in one transaction: portable across the three engines, unlike upsert syntax.
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('registry_logins')
          .where('user_id', '=', row.user_id)
          .where('session_id', '=', row.session_id)
          .execute();
        await trx.insertInto('registry_logins').values(row).execute();
      });
    },
    get: (userId, sessionId) =>
      db
        .selectFrom('registry_logins')
        .selectAll()
        .where('user_id', '=', userId)
        .where('session_id', '=', sessionId)
        .executeTakeFirst(),
    async remove(userId, sessionId) {
      const result = await db
        .deleteFrom('registry_logins')
        .where('user_id', '=', userId)
        .where('session_id', '=', sessionId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async removeExpired(now) {
      const result = await db.deleteFrom('registry_logins').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
