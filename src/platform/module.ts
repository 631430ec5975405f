import type { Config } from './config.ts';
import type { AuditRouteOptions } from './audit/routes.ts';
import type { Database, Queryable, Tx } from './db/database.ts';
import type { EventAdminAccess } from './events/admin-routes.ts';
import type { EventSubscriber } from './events/subscriber.ts';
import type { AccessTokenVerifier } from './http/authentication.ts';
import type { App } from './http/server.ts';
import type { JobDefinition, Jobs } from './jobs/jobs.ts';

/** What a module may use from the platform when it registers its routes. */
export interface ModuleDependencies {
  config: Config;
  db: Database;
  jobs: Pick<Jobs, 'send'>;
  /** The installed module's memberships, for the module that signs access tokens. */
  memberships?: Memberships;
}

/**
 * What the module that keeps organizations and memberships tells the platform and the module that
 * signs access tokens, without either importing it.
 */
export interface Memberships {
  /** The role a user holds in an organization now, or null: read for every request that acts in one. */
  roleOf(db: Queryable, member: { userId: string; orgId: string }): Promise<string | null>;
  /** The organization (and role there) a session acts in, read whenever a token is signed for it. */
  actingOrganization(tx: Tx, session: { userId: string; sessionId: string }): Promise<{ orgId: string; role: string } | null>;
  /** Who among signed-in users reads the audit log, and which organization's entries. */
  auditAccess?: AuditRouteOptions;
  /** Who among signed-in users operates the platform: lists and re-drives parked event deliveries. */
  operationsAccess?: EventAdminAccess;
}

/** A business capability: its routes, the events it reacts to and its background jobs. */
export interface TenureModule {
  name: string;
  routes?: (app: App, dependencies: ModuleDependencies) => void | Promise<void>;
  /** Its event subscribers; a function when they need the configuration (a provider to call). */
  subscribers?: EventSubscriber[] | ((config: Config) => EventSubscriber[]);
  jobs?: JobDefinition[];
  /** The module that issues access tokens verifies them for every request. */
  accessTokenVerifier?: (db: Database) => AccessTokenVerifier;
  /** The module that keeps memberships (one at most). */
  memberships?: Memberships;
}

/** Every subscriber of the modules, built for this configuration. */
export function subscribersOf(modules: readonly TenureModule[], config: Config): EventSubscriber[] {
  return modules.flatMap((module) => (typeof module.subscribers === 'function' ? module.subscribers(config) : (module.subscribers ?? [])));
}
