/**
 * `npm run db:migrate`: applies the pending migrations to DATABASE_URL's database, or to the
 * embedded PostgreSQL in EMBEDDED_POSTGRES_DIR (the running platform's server, left running, or
 * one started for the command and stopped again), and prints what it applied. Exits 1 with one
 * line when anything fails.
 */
import { ConfigError, loadConfig } from '../src/platform/config.ts';
import { migrateDatabaseAt } from '../src/platform/db/scratch-database.ts';
import { reachPostgres, type PostgresServer } from '../src/platform/db/server.ts';
import { oneLine } from './one-line.ts';

async function main(): Promise<number> {
  let server: PostgresServer | undefined;
  let exitCode = 0;
  try {
    const config = loadConfig();
    server = await reachPostgres(config, (message) => console.log(message));
    const applied = await migrateDatabaseAt(server.url);
    if (applied.length === 0) console.log('database is up to date');
    for (const name of applied) console.log(`applied ${name}`);
  } catch (error) {
    console.error(failure(error));
    exitCode = 1;
  }
  try {
    await server?.stop();
  } catch (error) {
    console.error(`db:migrate could not stop the embedded PostgreSQL: ${oneLine(error)}`);
    exitCode = 1;
  }
  return exitCode;
}

function failure(error: unknown): string {
  // A configuration error already reads "Invalid configuration: <VAR> ...".
  if (error instanceof ConfigError) return error.message;
  return `db:migrate failed: ${oneLine(error)}`;
}

process.exitCode = await main();
