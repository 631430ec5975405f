import { createClient, withDatabaseName } from './database.ts';
import { migrate } from './migrate.ts';

/** Applies every pending migration to the database at `url` over a connection of its own. */
export async function migrateDatabaseAt(url: string): Promise<string[]> {
  const client = createClient(url);
  // A dropped connection fails the running query; it must not also crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await migrate(client);
  } finally {
    await client.end();
  }
}

/** Creates a database on the server of `serverUrl`, migrates it, and returns its URL. */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = createClient(serverUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabaseName(serverUrl, name);
  await migrateDatabaseAt(url);
  return url;
}
