import { CamelCasePlugin, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

export type Database = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Either the pool-backed handle or an open transaction: read-only helpers accept both. */
export type Queryable = Database | Tx;

/**
 * PostgreSQL's `bigint` holds money in minor units and counts; we read it as a JavaScript number and
 * refuse anything beyond 2^53, where a number would silently lose precision.
 */
function parseBigint(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`bigint ${value} is beyond the safe integer range`);
  return parsed;
}

type TypeId = Parameters<typeof pg.types.getTypeParser>[0];
type TypeParser = (value: string) => unknown;
const builtInParser = pg.types.getTypeParser as (oid: TypeId, format?: 'text' | 'binary') => TypeParser;

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser(oid: TypeId, format?: 'text' | 'binary'): TypeParser {
    if (oid === pg.types.builtins.INT8) return parseBigint;
    // Stay dates are calendar dates, never instants: keep them as `YYYY-MM-DD` text.
    if (oid === pg.types.builtins.DATE) return (value: string) => value;
    return builtInParser(oid, format);
  },
};

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  applicationName?: string;
}

/**
 * The role the application acts as (db/migrations/0004_row_level_security.sql): it owns nothing and
 * cannot bypass row-level security. Migrations, pg-boss and LISTEN connect as the URL's own user.
 */
export const appRole = 'tenure_app';

/**
 * The URL with `-c role=tenure_app` added to its startup options, after any it already has (the
 * last setting wins). PostgreSQL sets the role while it opens the session, before any query, so
 * every connection the pool ever opens acts as the application role, reconnections included, and
 * `RESET ROLE` returns to it rather than to the owner.
 */
export function asAppRole(url: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options');
  parsed.searchParams.set('options', [options, `-c role=${appRole}`].filter(Boolean).join(' '));
  return parsed.toString();
}

/** The application's pool: every connection acts as `tenure_app`, held to row-level security. */
export function createPool(options: DatabaseOptions): pg.Pool {
  return newPool({ ...options, url: asAppRole(options.url) });
}

/**
 * A pool that acts as the URL's own user, the owner of the tables, beyond row-level security when
 * that user is a superuser. Only for administration and tests that change the schema; never for
 * the application's own work.
 */
export function createOwnerPool(options: DatabaseOptions): pg.Pool {
  return newPool(options);
}

function newPool(options: DatabaseOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    types: typeParsers,
    application_name: options.applicationName ?? 'tenure',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export function createDatabase(pool: pg.Pool): Database {
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
}

/** Opens a client with the same type parsing as the pool, for LISTEN and one-off administration. */
export function createClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types: typeParsers });
}

/** Replaces the database name of a connection URL. */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
