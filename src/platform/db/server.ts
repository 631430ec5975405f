import type { Config } from '../config.ts';
import { runningEmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.ts';

export interface PostgresServer {
  /** Connection string of the database Tenure uses. */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** `DATABASE_URL` when set; otherwise the embedded server, started from the local data folder. */
export async function acquirePostgres(
  config: Pick<Config, 'DATABASE_URL' | 'EMBEDDED_POSTGRES_DIR' | 'EMBEDDED_POSTGRES_PORT' | 'NODE_ENV'>,
  log: (message: string) => void,
): Promise<PostgresServer> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: false, stop: async () => undefined };
  const server = await startEmbeddedPostgres({
    dataDir: config.EMBEDDED_POSTGRES_DIR,
    preferredPort: config.EMBEDDED_POSTGRES_PORT,
    durable: config.NODE_ENV !== 'test',
    log,
  });
  return { url: server.url, embedded: true, stop: () => server.stop() };
}

/**
 * For one-off commands beside the platform (`npm run admin:create`): `DATABASE_URL` when set;
 * otherwise the embedded server already running on the data folder, left running; otherwise one
 * started for the command and stopped after it.
 */
export async function reachPostgres(
  config: Pick<Config, 'DATABASE_URL' | 'EMBEDDED_POSTGRES_DIR' | 'EMBEDDED_POSTGRES_PORT' | 'NODE_ENV'>,
  log: (message: string) => void,
): Promise<PostgresServer> {
  const running = config.DATABASE_URL ? undefined : await runningEmbeddedPostgres(config.EMBEDDED_POSTGRES_DIR);
  if (running) {
    log(`using the embedded PostgreSQL already running on 127.0.0.1:${running.port}`);
    return { url: running.url, embedded: true, stop: async () => undefined };
  }
  return acquirePostgres(config, log);
}
