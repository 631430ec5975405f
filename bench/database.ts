import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, redactUrl } from '../src/platform/config.ts';
import { createClient, withDatabaseName } from '../src/platform/db/database.ts';
import { acquirePostgres } from '../src/platform/db/server.ts';
import { localPostmaster } from './cpu.ts';
import type { PostgresDescription } from './machine.ts';

/** The PostgreSQL server the bench runs on, and the scratch databases it makes there. */
export interface BenchPostgres {
  /** Superuser (or DATABASE_URL's) connection to the server's maintenance database. */
  serverUrl: string;
  description: PostgresDescription;
  /** The server's main process when it runs on this machine, so its CPU time counts as the bench's own. */
  postmasterPid: number | undefined;
  /** Creates an empty database and returns its URL; every one is dropped by `stop`. */
  createDatabase(purpose: string): Promise<{ name: string; url: string }>;
  dropDatabase(name: string): Promise<void>;
  /** Drops every database it created, then stops the embedded server and removes its files. */
  stop(): Promise<void>;
}

const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/**
 * The embedded PostgreSQL with durable commits (the defaults of a development start: fsync and
 * synchronous commit on), in a temporary folder; or DATABASE_URL's server when it is set.
 */
export async function startBenchPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  const external = Boolean(process.env.DATABASE_URL);
  const dataDir = external ? undefined : await mkdtemp(path.join(tmpdir(), 'tenure-bench-pg-'));
  const config = loadConfig(
    { DATABASE_URL: process.env.DATABASE_URL },
    {
      NODE_ENV: 'development',
      ...(dataDir ? { EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: '54339' } : {}),
    },
  );
  const server = await acquirePostgres(config, log).catch(async (error: unknown) => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const created = new Set<string>();

  const admin = async <T>(work: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> => {
    const client = createClient(server.url);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  const { description, postmasterPid } = await admin(async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections', 'wal_level') ORDER BY name`,
    );
    const settings = Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    const { server_version: version = 'unknown', ...rest } = settings;
    const backend = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return {
      description: { version, server: external ? redactUrl(server.url) : 'embedded (started by the bench)', settings: rest },
      postmasterPid: await localPostmaster(backend.rows[0]?.pid ?? 0, new URL(server.url).hostname),
    };
  });

  const dropDatabase = async (name: string) => {
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    created.delete(name);
  };

  return {
    serverUrl: server.url,
    description,
    postmasterPid,
    async createDatabase(purpose) {
      const name = `tenure_bench_${runId}_${purpose}`;
      await admin((client) => client.query(`CREATE DATABASE ${name}`));
      created.add(name);
      return { name, url: withDatabaseName(server.url, name) };
    },
    dropDatabase,
    async stop() {
      try {
        for (const name of [...created]) await dropDatabase(name);
      } finally {
        await server.stop();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
