/**
 * One PostgreSQL for the whole run — the embedded one, or DATABASE_URL's server — and one migrated
 * template database that every test file clones, so files run in parallel and never share rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PgBoss from 'pg-boss';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/platform/config.ts';
import { createClient } from '../../src/platform/db/database.ts';
import { createMigratedDatabase } from '../../src/platform/db/scratch-database.ts';
import { acquirePostgres } from '../../src/platform/db/server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    templateDatabase: string;
    databasePrefix: string;
  }
}

export default async function setup(project: TestProject) {
  const config = loadConfig();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tenure-test-pg-'));
  const server = await acquirePostgres(
    { ...config, NODE_ENV: 'test', EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: 54330 },
    () => undefined,
  );
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const databasePrefix = `tenure_test_${run}`;
  const templateDatabase = `tenure_template_${run}`;

  const templateUrl = await createMigratedDatabase(server.url, templateDatabase);
  // pg-boss creates its schema on first start; doing it once here spares every test file the wait.
  const boss = new PgBoss({ connectionString: templateUrl, schema: 'pgboss', supervise: false, schedule: false });
  await boss.start();
  await boss.stop({ graceful: false, close: true, wait: true });

  project.provide('postgresUrl', server.url);
  project.provide('templateDatabase', templateDatabase);
  project.provide('databasePrefix', databasePrefix);

  return async () => {
    const cleanup = createClient(server.url);
    await cleanup.connect();
    const { rows } = await cleanup.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
      `${databasePrefix}%`,
      templateDatabase,
    ]);
    for (const { datname } of rows) await cleanup.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await cleanup.end();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
