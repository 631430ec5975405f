import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import type { Database } from '../db/database.ts';
import {
  type AuditEntryInput,
  diffStates,
  ensureAuditPartition,
  ensureAuditPartitions,
  recordAudit,
  redacted,
  redactSecrets,
} from './audit-log.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const userId = '0190a5f0-0000-7000-8000-000000000001';
const orgId = '0190a5f0-0000-7000-8000-0000000000aa';

function entry(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: { type: 'user', userId, role: 'front_desk' },
    orgId,
    action: 'UPDATE',
    entityType: 'booking',
    entityId: 'b-1',
    before: { status: 'held', guests: 2 },
    after: { status: 'confirmed', guests: 2 },
    ip: '203.0.113.7',
    userAgent: 'tests',
    correlationId: 'corr-1',
    ...overrides,
  };
}

const record = (input: AuditEntryInput) => database.db.transaction().execute((tx) => recordAudit(tx, input));

async function refusal(statement: ReturnType<typeof sql>, on: Database = database.db): Promise<string> {
  try {
    await statement.execute(on);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the statement was accepted');
}

describe('recordAudit', () => {
  it('stores actor, object, before and after, their difference, IP, user agent and correlation id', async () => {
    const recorded = await record(entry());
    const row = await database.db.selectFrom('auditLog').selectAll().where('id', '=', recorded.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      orgId,
      actorType: 'user',
      actorUserId: userId,
      actorRole: 'front_desk',
      action: 'UPDATE',
      entityType: 'booking',
      entityId: 'b-1',
      before: { status: 'held', guests: 2 },
      after: { status: 'confirmed', guests: 2 },
      changes: { status: { from: 'held', to: 'confirmed' } },
      ip: '203.0.113.7',
      userAgent: 'tests',
      correlationId: 'corr-1',
    });
    expect(row.occurredAt.toISOString()).toBe(recorded.occurredAt);
    expect(row.occurredAt.getTime() % 1).toBe(0);
  });

  it('commits and rolls back with the use case that records it', async () => {
    await expect(
      database.db.transaction().execute(async (tx) => {
        await recordAudit(tx, entry({ entityId: 'rolled-back' }));
        throw new Error('the use case fails');
      }),
    ).rejects.toThrow('the use case fails');
    const rows = await database.db.selectFrom('auditLog').select('id').where('entityId', '=', 'rolled-back').execute();
    expect(rows).toEqual([]);
  });

  it('refuses an action outside the list', async () => {
    await expect(record(entry({ action: 'TELEPORT' as AuditEntryInput['action'] }))).rejects.toThrow();
  });
});

describe('changes and redaction', () => {
  it('keeps only changed top-level keys, an absent key counting as null, whatever the key order', () => {
    expect(
      diffStates({ a: 1, nested: { x: 1, y: 2 }, gone: 'x', same: [1, 2] }, { a: 2, nested: { y: 2, x: 1 }, added: true, same: [1, 2] }),
    ).toEqual({ a: { from: 1, to: 2 }, gone: { from: 'x', to: null }, added: { from: null, to: true } });
    expect(diffStates({ a: 1 }, { a: 1 })).toBeNull();
    expect(diffStates(null, { a: 1 })).toBeNull();
  });

  it('redacts password hashes, tokens and secrets at any depth, in before, after and changes', async () => {
    const recorded = await record(
      entry({
        action: 'PASSWORD_CHANGE',
        entityType: 'user',
        entityId: userId,
        before: { email: 'a@example.com', passwordHash: '$argon2id$old', session: { refreshToken: 'r1', device: 'phone' } },
        after: { email: 'a@example.com', passwordHash: '$argon2id$new', session: { refreshToken: 'r2', device: 'phone' } },
      }),
    );
    const row = await database.db.selectFrom('auditLog').selectAll().where('id', '=', recorded.id).executeTakeFirstOrThrow();
    expect(row.before).toEqual({ email: 'a@example.com', passwordHash: redacted, session: { refreshToken: redacted, device: 'phone' } });
    expect(row.after).toEqual({ email: 'a@example.com', passwordHash: redacted, session: { refreshToken: redacted, device: 'phone' } });
    // The password's change shows, never its value; a changed nested secret shows only as redacted.
    expect(row.changes).toEqual({
      passwordHash: { from: redacted, to: redacted },
      session: { from: { refreshToken: redacted, device: 'phone' }, to: { refreshToken: redacted, device: 'phone' } },
    });
    expect(JSON.stringify(row)).not.toMatch(/argon2id|r1|r2/);
  });

  it('leaves ordinary keys alone', () => {
    expect(redactSecrets({ status: 'ok', list: [{ apiKey: 'k', name: 'n' }] })).toEqual({
      status: 'ok',
      list: [{ apiKey: redacted, name: 'n' }],
    });
  });
});

describe('append-only, enforced by the database', () => {
  // Even to the tables' owner, which the application role is not (that role is not even granted
  // these statements: src/platform/db/tenant-isolation.test.ts).
  it('refuses UPDATE, DELETE and TRUNCATE of the log and of its partitions', async () => {
    const recorded = await record(entry({ entityId: 'immutable' }));
    const [partition] = await ensureAuditPartitions(database.db, new Date(recorded.occurredAt), 0);
    expect(await refusal(sql`UPDATE audit_log SET action = 'DELETE' WHERE id = ${recorded.id}`, database.owner)).toMatch(
      /append-only: UPDATE/,
    );
    expect(await refusal(sql`DELETE FROM audit_log WHERE id = ${recorded.id}`, database.owner)).toMatch(/append-only: DELETE/);
    expect(await refusal(sql`TRUNCATE audit_log`, database.owner)).toMatch(/append-only: TRUNCATE/);
    const table = sql.table(partition ?? '');
    expect(await refusal(sql`UPDATE ${table} SET entity_id = 'x' WHERE id = ${recorded.id}`, database.owner)).toMatch(
      /append-only: UPDATE/,
    );
    expect(await refusal(sql`DELETE FROM ${table}`, database.owner)).toMatch(/append-only: DELETE/);
    expect(await refusal(sql`TRUNCATE ${table}`, database.owner)).toMatch(/append-only: TRUNCATE/);
    const still = await database.db.selectFrom('auditLog').select('action').where('id', '=', recorded.id).executeTakeFirstOrThrow();
    expect(still.action).toBe('UPDATE');
  });
});

describe('monthly partitions', () => {
  it('has this month and the next two from the migration, and keeps them ahead across a year end', async () => {
    const now = new Date();
    const label = (offset: number) => {
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
      return `audit_log_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
    };
    const { rows } = await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_log'::regclass
    `.execute(database.db);
    expect(rows.map((row) => row.name)).toEqual(expect.arrayContaining([label(0), label(1), label(2)]));
    expect(await ensureAuditPartitions(database.db, new Date('2031-11-20T12:00:00Z'))).toEqual([
      'audit_log_2031_11',
      'audit_log_2031_12',
      'audit_log_2032_01',
    ]);
    // Idempotent.
    expect(await ensureAuditPartition(database.db, '2031-12-31')).toBe('audit_log_2031_12');
  });

  it('bounds each partition by the UTC month, so the last millisecond of a month stays in it', async () => {
    await ensureAuditPartitions(database.db, new Date('2033-01-10T00:00:00Z'), 1);
    await record(entry({ entityId: 'month-edge-1', occurredAt: new Date('2033-01-31T23:59:59.999Z') }));
    await record(entry({ entityId: 'month-edge-2', occurredAt: new Date('2033-02-01T00:00:00.000Z') }));
    const { rows } = await sql<{ entityId: string; partition: string }>`
      SELECT entity_id, tableoid::regclass::text AS partition FROM audit_log WHERE entity_id LIKE 'month-edge-%' ORDER BY entity_id
    `.execute(database.db);
    expect(rows).toEqual([
      { entityId: 'month-edge-1', partition: 'audit_log_2033_01' },
      { entityId: 'month-edge-2', partition: 'audit_log_2033_02' },
    ]);
  });

  it('creates a missing partition when an entry needs it, inside the use case transaction', async () => {
    const before = await sql<{ exists: boolean }>`SELECT to_regclass('audit_log_2035_06') IS NOT NULL AS exists`.execute(database.db);
    expect(before.rows[0]?.exists).toBe(false);
    const recorded = await record(entry({ entityId: 'far-future', occurredAt: new Date('2035-06-15T08:30:00.123Z') }));
    expect(recorded.occurredAt).toBe('2035-06-15T08:30:00.123Z');
    const { rows } = await sql<{ partition: string }>`
      SELECT tableoid::regclass::text AS partition FROM audit_log WHERE id = ${recorded.id}
    `.execute(database.db);
    expect(rows).toEqual([{ partition: 'audit_log_2035_06' }]);
  });
});
