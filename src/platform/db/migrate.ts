import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const migrationsDir = fileURLToPath(new URL('../../../db/migrations/', import.meta.url));

/** Any constant will do; it only has to be the same for every instance of Tenure. */
const MIGRATION_LOCK_ID = 7_320_913_001;
const fileNamePattern = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export async function readMigrations(dir = migrationsDir): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => name.toLowerCase().endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const [index, name] of names.entries()) {
    const match = fileNamePattern.exec(name);
    if (!match) throw new MigrationError(`Migration file ${name} must be named NNNN_what_it_does.sql`);
    if (Number(match[1]) !== index + 1)
      throw new MigrationError(`Migration ${name} is out of sequence: expected number ${String(index + 1).padStart(4, '0')}`);
    const sql = await readFile(path.join(dir, name), 'utf8');
    files.push({ name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}

/**
 * Applies the pending migrations in one transaction under an advisory lock, so two instances
 * starting together apply each migration once. An applied migration whose file has changed or
 * disappeared stops start-up: migrations are forward only.
 */
export async function migrate(client: pg.ClientBase, dir = migrationsDir): Promise<string[]> {
  const files = await readMigrations(dir);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migration (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migration ORDER BY name');
    const byName = new Map(files.map((file) => [file.name, file]));
    for (const row of applied.rows) {
      const file = byName.get(row.name);
      if (!file) throw new MigrationError(`Applied migration ${row.name} is missing from db/migrations; migrations are never removed`);
      if (file.checksum !== row.checksum) {
        throw new MigrationError(`Applied migration ${row.name} has been edited since it was applied; add a new migration instead`);
      }
    }
    const appliedNames = new Set(applied.rows.map((row) => row.name));
    const pending = files.filter((file) => !appliedNames.has(file.name));
    for (const file of pending) {
      try {
        await client.query(file.sql);
      } catch (error) {
        throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`, { cause: error });
      }
      await client.query('INSERT INTO schema_migration (name, checksum) VALUES ($1, $2)', [file.name, file.checksum]);
    }
    await client.query('COMMIT');
    return pending.map((file) => file.name);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
