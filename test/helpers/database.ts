import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
import { migrate, migrationsDir } from '../../src/platform/db/migrate.ts';
import { migrateDatabaseAt } from '../../src/platform/db/scratch-database.ts';

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
  const name = `${inject('databasePrefix')}_${randomBytes(4).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')} STRATEGY FILE_COPY`);
  return openTestDatabase(name, options.poolMax ?? 20);
}

/**
 * A database of its own migrated only up to `lastMigration` (such as `'0006'`), for rows in the
 * shape they had then; `migrate()` applies the remaining migrations, as an upgrade would.
 */
export async function createDatabaseMigratedTo(lastMigration: string): Promise<TestDatabase & { migrate(): Promise<string[]> }> {
  const name = `${inject('databasePrefix')}_upto${lastMigration}_${randomBytes(4).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`);
  const url = withDatabaseName(inject('postgresUrl'), name);
  const dir = await mkdtemp(path.join(tmpdir(), 'tenure-migrations-'));
  try {
    const earlier = (await readdir(migrationsDir)).filter((file) => /^\d{4}_/.test(file) && file.slice(0, 4) <= lastMigration);
    for (const file of earlier) await copyFile(path.join(migrationsDir, file), path.join(dir, file));
    const client = createClient(url);
    await client.connect();
    try {
      await migrate(client, dir);
    } finally {
      await client.end();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { ...openTestDatabase(name, 5), migrate: () => migrateDatabaseAt(url) };
}

async function onServer(statement: string): Promise<void> {
  const admin = createClient(inject('postgresUrl'));
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

function openTestDatabase(name: string, poolMax: number): TestDatabase {
  const url = withDatabaseName(inject('postgresUrl'), name);
  const pool = createPool({ url, poolMax });
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
      await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
