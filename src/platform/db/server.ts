import type { Config } from '../config.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

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
