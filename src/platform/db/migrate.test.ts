import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createClient, withDatabaseName } from './database.ts';
import { migrate, MigrationError, migrationsDir, readMigrations } from './migrate.ts';

/** Everything a test opened, closed again after it even when it fails. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An empty database of its own on the test run's server, dropped after the test. */
async function scratchDatabase(): Promise<{ connect(): Promise<pg.Client> }> {
  const serverUrl = inject('postgresUrl');
  const name = `${inject('databasePrefix')}_migrate_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => withClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  return {
    async connect() {
      const client = createClient(withDatabaseName(serverUrl, name));
      await client.connect();
      cleanups.push(() => client.end());
      return client;
    },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = createClient(url);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A folder of migration files, written as given, removed after the test. */
async function migrationFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tenure-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeMigrations(dir, files);
  return dir;
}

async function writeMigrations(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
}

async function recorded(client: pg.Client): Promise<{ name: string; checksum: string }[]> {
  const { rows } = await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migration ORDER BY name');
  return rows;
}

async function tableExists(client: pg.Client, table: string): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  return rows[0]?.exists ?? false;
}

async function expectMigrationError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as MigrationError).message).toMatch(message);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const threeSteps = {
  // Each step needs the one before it, so applying them out of order fails.
  '0001_create_room.sql': 'CREATE TABLE room (id int PRIMARY KEY);',
  '0002_add_room_name.sql': 'ALTER TABLE room ADD COLUMN name text;',
  '0003_seed_room.sql': "INSERT INTO room (id, name) VALUES (1, 'Garden suite');",
};

describe('migrate', () => {
  it('applies the files in order and records each with the checksum of its text', async () => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder(threeSteps);

    expect(await migrate(client, dir)).toEqual(['0001_create_room.sql', '0002_add_room_name.sql', '0003_seed_room.sql']);

    expect(await recorded(client)).toEqual(Object.entries(threeSteps).map(([name, sql]) => ({ name, checksum: sha256(sql) })));
    const { rows } = await client.query<{ name: string }>('SELECT name FROM room');
    expect(rows).toEqual([{ name: 'Garden suite' }]);
  });

  it('applies nothing the second time, and only the new file once one is added', async () => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder(threeSteps);
    await migrate(client, dir);

    expect(await migrate(client, dir)).toEqual([]);

    await writeMigrations(dir, { '0004_add_room_floor.sql': 'ALTER TABLE room ADD COLUMN floor int;' });
    expect(await migrate(client, dir)).toEqual(['0004_add_room_floor.sql']);
    expect(await migrate(client, dir)).toEqual([]);
    expect((await recorded(client)).map((row) => row.name)).toHaveLength(4);
  });

  it('applies each migration exactly once when two connections migrate at the same time', async () => {
    const database = await scratchDatabase();
    const [first, second, observer] = [await database.connect(), await database.connect(), await database.connect()];
    const dir = await migrationFolder({
      // Slow enough for the second connection to arrive while the first still holds the lock; not
      // idempotent, so applying it twice would fail.
      '0001_create_counter.sql': 'CREATE TABLE counter (n int); SELECT pg_sleep(1);',
      '0002_count.sql': 'INSERT INTO counter VALUES (1);',
    });

    const firstRun = migrate(first, dir);
    await waitForAdvisoryLock(observer, { granted: true });
    const secondRun = migrate(second, dir);
    await waitForAdvisoryLock(observer, { granted: false });
    const results = await Promise.all([firstRun, secondRun]);

    expect(results).toEqual([['0001_create_counter.sql', '0002_count.sql'], []]);
    expect(await recorded(observer)).toHaveLength(2);
    const { rows } = await observer.query<{ count: number }>('SELECT count(*)::int AS count FROM counter');
    expect(rows[0]?.count).toBe(1);
  });

  it('refuses to run when an applied migration has been edited', async () => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder(threeSteps);
    await migrate(client, dir);

    await writeMigrations(dir, {
      '0002_add_room_name.sql': 'ALTER TABLE room ADD COLUMN name text NOT NULL;',
      '0004_add_room_floor.sql': 'ALTER TABLE room ADD COLUMN floor int;',
    });

    await expectMigrationError(migrate(client, dir), /^Applied migration 0002_add_room_name\.sql has been edited/);
    expect(await tableExists(client, 'room')).toBe(true);
    expect((await recorded(client)).map((row) => row.name)).not.toContain('0004_add_room_floor.sql');
  });

  it('refuses to run when an applied migration has been removed', async () => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder(threeSteps);
    await migrate(client, dir);

    await unlink(path.join(dir, '0003_seed_room.sql'));

    await expectMigrationError(migrate(client, dir), /^Applied migration 0003_seed_room\.sql is missing/);
  });

  it('rolls back every migration of a run when one fails, and records none of them', async () => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder({
      ...threeSteps,
      '0004_broken.sql': 'CREATE TABLE guest (id int); SELECT 1 / 0;',
    });

    await expectMigrationError(migrate(client, dir), /^Migration 0004_broken\.sql failed: division by zero/);

    expect(await tableExists(client, 'room')).toBe(false);
    expect(await tableExists(client, 'guest')).toBe(false);
    expect(await tableExists(client, 'schema_migration')).toBe(false);
    // The connection is out of the failed transaction and still usable.
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('keeps what earlier runs applied when a later run fails, and applies the rest once fixed', async () => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder({ '0001_create_room.sql': threeSteps['0001_create_room.sql'] });
    await migrate(client, dir);

    await writeMigrations(dir, {
      '0002_add_room_name.sql': threeSteps['0002_add_room_name.sql'],
      '0003_broken.sql': 'ALTER TABLE no_such_table ADD COLUMN x int;',
    });
    await expectMigrationError(migrate(client, dir), /^Migration 0003_broken\.sql failed: relation "no_such_table" does not exist/);
    expect((await recorded(client)).map((row) => row.name)).toEqual(['0001_create_room.sql']);
    const columns = await client.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'room' AND column_name = 'name'");
    expect(columns.rowCount).toBe(0);

    await writeMigrations(dir, { '0003_broken.sql': 'ALTER TABLE room ADD COLUMN floor int;' });
    expect(await migrate(client, dir)).toEqual(['0002_add_room_name.sql', '0003_broken.sql']);
  });

  it.each([
    [{ '0001_Create-Room.sql': 'SELECT 1;' }, /^Migration file 0001_Create-Room\.sql must be named NNNN_what_it_does\.sql$/],
    [{ '1_create_room.sql': 'SELECT 1;' }, /^Migration file 1_create_room\.sql must be named/],
    [{ '0001-create-room.sql': 'SELECT 1;' }, /^Migration file 0001-create-room\.sql must be named/],
    [{ '0001_create_room.SQL': 'SELECT 1;' }, /^Migration file 0001_create_room\.SQL must be named/],
    [
      { '0001_create_room.sql': 'SELECT 1;', '0003_seed_room.sql': 'SELECT 1;' },
      /^Migration 0003_seed_room\.sql is out of sequence: expected number 0002$/,
    ],
    [{ '0002_add_room_name.sql': 'SELECT 1;' }, /^Migration 0002_add_room_name\.sql is out of sequence: expected number 0001$/],
    [{ '0001_create_room.sql': 'SELECT 1;', '0001_create_guest.sql': 'SELECT 1;' }, /^Migration 0001_create_room\.sql is out of sequence/],
  ])('refuses the folder %o before touching the database', async (files, message) => {
    const client = await (await scratchDatabase()).connect();
    const dir = await migrationFolder(files);

    await expectMigrationError(migrate(client, dir), message);
    expect(await tableExists(client, 'schema_migration')).toBe(false);
  });

  it('ignores files that are not .sql', async () => {
    const dir = await migrationFolder({ '0001_create_room.sql': 'SELECT 1;', 'README.md': '# notes', '.keep': '' });
    expect((await readMigrations(dir)).map((file) => file.name)).toEqual(['0001_create_room.sql']);
  });

  it("accepts the repository's own migrations", async () => {
    const files = await readMigrations(migrationsDir);
    expect(files.length).toBeGreaterThan(0);
    expect(files[0]?.name).toBe('0001_platform_foundation.sql');
  });
});

/** Waits until a session holds (granted) or waits for (not granted) an advisory lock. */
async function waitForAdvisoryLock(observer: pg.Client, { granted }: { granted: boolean }): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { rowCount } = await observer.query(
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      [granted],
    );
    if (rowCount) return;
    await delay(10);
  }
  throw new Error(`no session ${granted ? 'held' : 'waited for'} an advisory lock within 5 s`);
}
