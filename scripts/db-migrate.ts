/**
 * `npm run db:migrate`: applies the pending migrations to DATABASE_URL's database, or to the
 * embedded PostgreSQL in EMBEDDED_POSTGRES_DIR, prints what it applied, and stops the embedded
 * server again. Exits 1 with one line when anything fails.
 */
import { ConfigError, loadConfig } from '../src/platform/config.ts';
import { createClient } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { acquirePostgres, type PostgresServer } from '../src/platform/db/server.ts';

async function applyMigrations(server: PostgresServer): Promise<string[]> {
  const client = createClient(server.url);
  // A dropped connection fails the running query; it must not also crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await migrate(client);
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  let server: PostgresServer | undefined;
  let exitCode = 0;
  try {
    const config = loadConfig();
    server = await acquirePostgres(config, (message) => console.log(message));
    const applied = await applyMigrations(server);
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

function oneLine(error: unknown): string {
  // Connecting to `localhost` fails with an AggregateError whose own message is empty.
  const message =
    error instanceof AggregateError && !error.message
      ? error.errors.map(oneLine).join('; ')
      : error instanceof Error
        ? error.message || error.name
        : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}

process.exitCode = await main();
