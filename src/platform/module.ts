import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { EventSubscriber } from './events/subscriber.ts';
import type { AccessTokenVerifier } from './http/authentication.ts';
import type { App } from './http/server.ts';
import type { JobDefinition, Jobs } from './jobs/jobs.ts';

/** What a module may use from the platform when it registers its routes. */
export interface ModuleDependencies {
  config: Config;
  db: Database;
  jobs: Pick<Jobs, 'send'>;
}

/** A business capability: its routes, the events it reacts to and its background jobs. */
export interface TenureModule {
  name: string;
  routes?: (app: App, dependencies: ModuleDependencies) => void | Promise<void>;
  subscribers?: EventSubscriber[];
  jobs?: JobDefinition[];
  /** The module that issues access tokens verifies them for every request. */
  accessTokenVerifier?: (db: Database) => AccessTokenVerifier;
}
