import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { startTestRelay, testContext } from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { publish } from '../events/outbox.ts';
import type { EventSubscriber } from '../events/subscriber.ts';
import type { TenureModule } from '../module.ts';
import { appRole, asAppRole, createPool, type Database, type Tx } from './database.ts';
import { transactionAsTenant, withTenant } from './tenant.ts';

/**
 * Row-level security as the application meets it: the app pool acts as `tenure_app`, and a
 * throwaway business table made tenant-isolated the way every module's migration does it.
 */
const orgA = '0190a0a0-0000-7000-8000-00000000000a';
const orgB = '0190a0a0-0000-7000-8000-00000000000b';

let database: TestDatabase;
let db: Database;

/** What a database error says, or undefined when the statement succeeded. */
async function failureOf(work: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const namesIn = async (tx: Tx | Database) =>
  (await sql<{ name: string }>`SELECT name FROM test_unit ORDER BY name`.execute(tx)).rows.map((row) => row.name);

const insertUnit = (tx: Tx | Database, orgId: string, name: string) =>
  sql`INSERT INTO test_unit (org_id, name) VALUES (${orgId}, ${name})`.execute(tx);

const gaps = async () =>
  (await sql<{ tableName: string; problem: string }>`SELECT table_name, problem FROM tenant_isolation_gaps()`.execute(database.owner)).rows;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  // As a module's migration would, but as the owner from the test.
  await sql`CREATE TABLE test_unit (id serial PRIMARY KEY, org_id uuid NOT NULL, name text NOT NULL)`.execute(database.owner);
});
afterAll(() => database.drop());

describe('the catalogue check', () => {
  it('finds a table with org_id that is not isolated, and no gap once it is', async () => {
    expect(await gaps()).toEqual([
      { tableName: 'test_unit', problem: 'no tenant_isolation policy on org_id = tenure_current_org()' },
      { tableName: 'test_unit', problem: 'row-level security is not enabled' },
      { tableName: 'test_unit', problem: 'row-level security is not forced' },
    ]);
    await sql`SELECT tenure_enable_tenant_isolation('test_unit')`.execute(database.owner);
    expect(await gaps()).toEqual([]);
  });

  it('finds a permissive policy that widens access, and a table isolated but not forced', async () => {
    await sql`CREATE POLICY everyone ON test_unit USING (true)`.execute(database.owner);
    await sql`ALTER TABLE test_unit NO FORCE ROW LEVEL SECURITY`.execute(database.owner);
    expect(await gaps()).toEqual([
      { tableName: 'test_unit', problem: 'permissive policy everyone widens what tenant_isolation allows' },
      { tableName: 'test_unit', problem: 'row-level security is not forced' },
    ]);
    await sql`DROP POLICY everyone ON test_unit`.execute(database.owner);
    await sql`SELECT tenure_enable_tenant_isolation('test_unit')`.execute(database.owner);
    expect(await gaps()).toEqual([]);
  });

  it('holds a table that names its organization otherwise to isolation too, unless it is listed with a reason', async () => {
    await sql`CREATE TABLE test_link (organization_id uuid NOT NULL, user_id uuid NOT NULL)`.execute(database.owner);
    expect(await gaps()).toEqual([
      {
        tableName: 'test_link',
        problem: 'names its organization organization_id: use org_id with tenant isolation, or list it in tenant_isolation_exemption',
      },
    ]);
    await sql`DROP TABLE test_link`.execute(database.owner);
    const exempt = await sql<{ tableName: string }>`SELECT table_name::text FROM tenant_isolation_exemption ORDER BY 1`.execute(
      database.owner,
    );
    expect(exempt.rows.map((row) => row.tableName)).toEqual([
      'acting_organization',
      'invitation',
      'listing_publication',
      'membership',
      'provider_reference',
      'webhook_receipt',
    ]);
    expect(await failureOf(() => sql`INSERT INTO tenant_isolation_exemption VALUES ('test_unit', 'convenient')`.execute(db))).toMatch(
      /permission denied/,
    );
  });

  it('refuses to isolate a table without an org_id uuid column', async () => {
    await sql`CREATE TABLE test_no_org (id int)`.execute(database.owner);
    expect(await failureOf(() => sql`SELECT tenure_enable_tenant_isolation('test_no_org')`.execute(database.owner))).toMatch(
      /has no org_id uuid column/,
    );
  });
});

describe('a tenant-isolated table seen by the application role', () => {
  beforeAll(async () => {
    await sql`SELECT tenure_enable_tenant_isolation('test_unit')`.execute(database.owner);
    await sql`TRUNCATE test_unit`.execute(database.owner);
    await transactionAsTenant(db, orgA, async (tx) => {
      await insertUnit(tx, orgA, 'a-1');
      await insertUnit(tx, orgA, 'a-2');
    });
    await transactionAsTenant(db, orgB, (tx) => insertUnit(tx, orgB, 'b-1'));
  });

  it('shows no rows and accepts none when no organization is set', async () => {
    expect(await namesIn(db)).toEqual([]);
    expect(await transactionAsTenant(db, null, namesIn)).toEqual([]);
    expect(await failureOf(() => insertUnit(db, orgA, 'nobody'))).toMatch(/violates row-level security policy/);
    // The owner (a superuser in tests) sees that all three rows are there.
    expect(await namesIn(database.owner)).toEqual(['a-1', 'a-2', 'b-1']);
  });

  it('shows an organization only its own rows, and lets it change only those', async () => {
    expect(await transactionAsTenant(db, orgA, namesIn)).toEqual(['a-1', 'a-2']);
    expect(await transactionAsTenant(db, orgB, namesIn)).toEqual(['b-1']);
    const updated = await transactionAsTenant(
      db,
      orgA,
      async (tx) => (await sql`UPDATE test_unit SET name = name`.execute(tx)).numAffectedRows,
    );
    expect(updated).toBe(2n);
    const deleted = await transactionAsTenant(
      db,
      orgA,
      async (tx) => (await sql`DELETE FROM test_unit WHERE name = 'b-1'`.execute(tx)).numAffectedRows,
    );
    expect(deleted).toBe(0n);
    expect(await namesIn(database.owner)).toContain('b-1');
  });

  it('refuses a row for another organization, and moving a row to another organization', async () => {
    expect(await failureOf(() => transactionAsTenant(db, orgA, (tx) => insertUnit(tx, orgB, 'smuggled')))).toMatch(
      /new row violates row-level security policy for table "test_unit"/,
    );
    expect(
      await failureOf(() =>
        transactionAsTenant(db, orgA, (tx) => sql`UPDATE test_unit SET org_id = ${orgB} WHERE name = 'a-1'`.execute(tx)),
      ),
    ).toMatch(/new row violates row-level security policy for table "test_unit"/);
    expect(await transactionAsTenant(db, orgB, namesIn)).toEqual(['b-1']);
  });

  it('forgets the organization when the transaction ends', async () => {
    const connection = await database.pool.connect();
    try {
      await connection.query('BEGIN');
      await connection.query("SELECT set_config('tenure.org_id', $1, true)", [orgA]);
      expect((await connection.query('SELECT count(*)::int AS n FROM test_unit')).rows).toEqual([{ n: 2 }]);
      await connection.query('COMMIT');
      expect((await connection.query('SELECT count(*)::int AS n FROM test_unit')).rows).toEqual([{ n: 0 }]);
    } finally {
      connection.release();
    }
  });

  it('refuses an organization id that is not a UUID', async () => {
    expect(await failureOf(() => transactionAsTenant(db, 'acme', namesIn))).toMatch(/An organization id is a UUID/);
  });
});

describe('the application role', () => {
  it('is what every connection of the application pool acts as, whatever else the URL sets', async () => {
    const url = new URL(database.url);
    url.searchParams.set('options', '-c statement_timeout=5s');
    expect(new URL(asAppRole(url.toString())).searchParams.get('options')).toBe(`-c statement_timeout=5s -c role=${appRole}`);
    const pool = createPool({ url: url.toString(), poolMax: 3 });
    try {
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      for (const client of clients) {
        const { rows } = await client.query<{ role: string; timeout: string }>(
          `SELECT current_user AS role, current_setting('statement_timeout') AS timeout`,
        );
        expect(rows).toEqual([{ role: appRole, timeout: '5s' }]);
        client.release();
      }
    } finally {
      await pool.end();
    }
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(db);
    expect(rows).toEqual([{ role: appRole }]);
  });

  it('cannot bypass row-level security: no superuser, no BYPASSRLS, and RESET ROLE keeps it', async () => {
    const { rows } = await sql<{ rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>`
      SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = current_user
    `.execute(db);
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcanlogin: false }]);
    const afterReset = await db.transaction().execute(async (tx) => {
      await sql`RESET ROLE`.execute(tx);
      const role = (await sql<{ role: string }>`SELECT current_user AS role`.execute(tx)).rows[0]?.role;
      return { role, names: await namesIn(tx) };
    });
    expect(afterReset).toEqual({ role: appRole, names: [] });
  });

  it('is refused turning row security off, or disabling or dropping the policy', async () => {
    expect(
      await failureOf(() =>
        db.transaction().execute(async (tx) => {
          await sql`SET LOCAL row_security = off`.execute(tx);
          return namesIn(tx);
        }),
      ),
    ).toMatch(/query would be affected by row-level security policy for table "test_unit"/);
    expect(await failureOf(() => sql`ALTER TABLE test_unit DISABLE ROW LEVEL SECURITY`.execute(db))).toMatch(
      /must be owner of table test_unit/,
    );
    expect(await failureOf(() => sql`ALTER TABLE test_unit NO FORCE ROW LEVEL SECURITY`.execute(db))).toMatch(/must be owner/);
    expect(await failureOf(() => sql`DROP POLICY tenant_isolation ON test_unit`.execute(db))).toMatch(/must be owner/);
    expect(await gaps()).toEqual([]);
  });

  it('owns nothing and cannot create anything to own', async () => {
    const { rows } = await sql<{ owned: number }>`
      SELECT (SELECT count(*) FROM pg_class WHERE relowner = ${appRole}::regrole)
           + (SELECT count(*) FROM pg_proc WHERE proowner = ${appRole}::regrole)
           + (SELECT count(*) FROM pg_namespace WHERE nspowner = ${appRole}::regrole)
           + (SELECT count(*) FROM pg_type WHERE typowner = ${appRole}::regrole) AS owned
    `.execute(database.owner);
    expect(rows).toEqual([{ owned: 0 }]);
    const { rows: tables } = await sql<{ tableowner: string }>`
      SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'
    `.execute(database.owner);
    expect(tables.map((table) => table.tableowner)).not.toContain(appRole);
    expect(await failureOf(() => sql`CREATE TABLE test_mine (id int)`.execute(db))).toMatch(/permission denied for schema public/);
  });

  it('may only append to the audit log, and never writes the migration ledger', async () => {
    const { rows } = await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_log'::regclass LIMIT 1
    `.execute(db);
    const partition = sql.table(rows[0]?.name ?? 'missing');
    for (const statement of [
      sql`UPDATE audit_log SET action = 'CHANGED'`,
      sql`DELETE FROM audit_log`,
      sql`TRUNCATE audit_log`,
      sql`UPDATE ${partition} SET action = 'CHANGED'`,
      sql`DELETE FROM ${partition}`,
      sql`TRUNCATE ${partition}`,
      sql`DELETE FROM audit_archive`,
      sql`DELETE FROM schema_migration`,
    ]) {
      expect(await failureOf(() => statement.execute(db))).toMatch(/permission denied for table/);
    }
    // A partition made later (as the owner, by the function) is append-only for the role too.
    const { rows: made } = await sql<{ name: string }>`SELECT audit_log_ensure_partition('2099-01-01') AS name`.execute(db);
    expect(made).toEqual([{ name: 'audit_log_2099_01' }]);
    expect(await failureOf(() => sql`DELETE FROM audit_log_2099_01`.execute(db))).toMatch(/permission denied for table audit_log_2099_01/);
    const { rows: owners } = await sql<{ owner: string }>`
      SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'audit_log_2099_01'
    `.execute(db);
    expect(owners[0]?.owner).not.toBe(appRole);
  });
});

/** A stand-in module whose requests act for the organization named in `x-test-org`. */
const unitsModule: TenureModule = {
  name: 'units',
  routes(app, { db: moduleDb }) {
    app.addHook('onRequest', async (request) => {
      const org = request.headers['x-test-org'];
      if (typeof org === 'string') request.tenantId = org;
    });
    const Names = z.object({ names: z.array(z.string()) });
    app.get('/test/units', { schema: { response: { 200: Names } } }, async (request) => ({ names: await request.read(namesIn) }));
    app.get('/test/units/direct', { schema: { response: { 200: Names } } }, async () => ({ names: await namesIn(moduleDb) }));
    app.post(
      '/test/units',
      { schema: { body: z.strictObject({ name: z.string(), orgId: z.string().optional() }), response: { 201: Names } } },
      async (request, reply) => {
        const names = await request.transaction(async (tx) => {
          await sql`INSERT INTO test_unit (org_id, name) VALUES (${request.body.orgId ?? sql`tenure_current_org()`}, ${request.body.name})`.execute(
            tx,
          );
          return namesIn(tx);
        });
        return reply.code(201).send({ names });
      },
    );
  },
};

describe('requests', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ modules: [unitsModule], database });
  });
  afterAll(() => t.close());

  it('act for their organization in request.transaction and request.read, and for none without one', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/test/units',
      headers: { 'x-test-org': orgB },
      payload: { name: 'b-http' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ names: ['b-1', 'b-http'] });
    const read = await t.app.inject({ method: 'GET', url: '/test/units', headers: { 'x-test-org': orgB } });
    expect(read.json()).toEqual({ names: ['b-1', 'b-http'] });
    expect((await t.app.inject({ method: 'GET', url: '/test/units' })).json()).toEqual({ names: [] });
    // Reads through `db` directly name no organization, so they see nothing.
    expect((await t.app.inject({ method: 'GET', url: '/test/units/direct', headers: { 'x-test-org': orgB } })).json()).toEqual({
      names: [],
    });
  });

  it('cannot write another organization’s rows, nor any without an organization', async () => {
    const smuggled = await t.app.inject({
      method: 'POST',
      url: '/test/units',
      headers: { 'x-test-org': orgA },
      payload: { name: 'smuggled', orgId: orgB },
    });
    expect(smuggled.statusCode).toBe(500);
    const anonymous = await t.app.inject({ method: 'POST', url: '/test/units', payload: { name: 'nobody', orgId: orgA } });
    expect(anonymous.statusCode).toBe(500);
    expect(await namesIn(database.owner)).not.toContain('smuggled');
    expect(await namesIn(database.owner)).not.toContain('nobody');
  });
});

describe('event subscribers', () => {
  it("act for the event's organization, and for none when the event has none", async () => {
    const seen = new Map<string, string[]>();
    const subscriber: EventSubscriber = {
      name: 'tests.units-seen',
      eventTypes: ['unit.checked'],
      async handle(tx, event) {
        seen.set(event.aggregate.id, await namesIn(tx));
      },
    };
    const relay = await startTestRelay(database, [subscriber]);
    try {
      for (const [id, tenantId] of [
        ['for-a', orgA],
        ['for-b', orgB],
        ['for-none', null],
      ] as const) {
        await db
          .transaction()
          .execute((tx) =>
            publish(tx, { ...testContext, tenantId }, { type: 'unit.checked', aggregate: { type: 'unit', id }, source: 'tests', data: {} }),
          );
      }
      await waitFor(() => seen.size === 3, { message: 'three events handled' });
    } finally {
      await relay.stop();
    }
    expect(seen.get('for-a')?.filter((name) => name.startsWith('a-'))).toEqual(seen.get('for-a'));
    expect(seen.get('for-a')?.length).toBeGreaterThan(0);
    expect(seen.get('for-b')?.every((name) => name.startsWith('b-'))).toBe(true);
    expect(seen.get('for-b')?.length).toBeGreaterThan(0);
    expect(seen.get('for-none')).toEqual([]);
  });

  it('withTenant names the organization for the rest of a transaction a job opens itself', async () => {
    const names = await db.transaction().execute(async (tx) => {
      const before = await namesIn(tx);
      await withTenant(tx, orgB);
      return { before, after: await namesIn(tx) };
    });
    expect(names.before).toEqual([]);
    expect(names.after.length).toBeGreaterThan(0);
    expect(names.after.every((name) => name.startsWith('b-'))).toBe(true);
  });
});
