import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import {
  createClient,
  createDatabase,
  createOwnerPool,
  createPool,
  type Database,
  withDatabaseName,
} from '../../src/platform/db/database.ts';

export interface TestDatabase {
  url: string;
  name: string;
  /** The application's pool and handle: they act as `tenure_app`, exactly as in production. */
  pool: pg.Pool;
  db: Database;
  /** The tables' owner (the migrating superuser), for test set-up that changes the schema. */
  owner: Database;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: this file's own, empty of rows. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const serverUrl = inject('postgresUrl');
  const name = `${inject('databasePrefix')}_${randomBytes(4).toString('hex')}`;
  const admin = createClient(serverUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')} STRATEGY FILE_COPY`);
  } finally {
    await admin.end();
  }
  const url = withDatabaseName(serverUrl, name);
  const pool = createPool({ url, poolMax: options.poolMax ?? 20 });
  const db = createDatabase(pool);
  const owner = createDatabase(createOwnerPool({ url, poolMax: 2, applicationName: 'tenure-test-owner' }));
  return {
    url,
    name,
    pool,
    db,
    owner,
    async drop() {
      await db.destroy();
      await owner.destroy();
      const cleanup = createClient(serverUrl);
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
