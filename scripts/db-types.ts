/**
 * Regenerates src/platform/db/schema.ts from a freshly migrated scratch database, or with
 * `--verify` fails when the committed file is stale. Uses DATABASE_URL's server when set,
 * otherwise the embedded one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/platform/config.ts';
import { createClient } from '../src/platform/db/database.ts';
import { createMigratedDatabase } from '../src/platform/db/scratch-database.ts';
import { acquirePostgres } from '../src/platform/db/server.ts';

const verify = process.argv.includes('--verify');
const config = loadConfig();
const scratchDir = mkdtempSync(path.join(tmpdir(), 'tenure-types-'));
const server = await acquirePostgres({ ...config, NODE_ENV: 'test', EMBEDDED_POSTGRES_DIR: scratchDir }, () => undefined);
const database = `tenure_types_${process.pid}`;
const admin = createClient(server.url);
await admin.connect();
try {
  const url = await createMigratedDatabase(server.url, database);
  execFileSync(
    'npx',
    [
      'kysely-codegen',
      '--dialect=postgres',
      `--url=${url}`,
      '--out-file=src/platform/db/schema.ts',
      '--camel-case',
      '--date-parser=string',
      '--type-mapping={"int8":"number"}',
      '--exclude-pattern=schema_migration',
      ...(verify ? ['--verify'] : []),
    ],
    { stdio: 'inherit' },
  );
} catch (error) {
  process.exitCode = 1;
  if (verify) console.error('src/platform/db/schema.ts is stale: run `npm run db:types` and commit the result');
  else throw error;
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.end();
  await server.stop();
  rmSync(scratchDir, { recursive: true, force: true });
}
